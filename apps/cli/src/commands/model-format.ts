import { toJson } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { registryV1 } from '@verdict/proto';
import { formatBytes } from './model-progress';

/** Columns padded to their widest cell, two spaces apart; the header row first. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  if (rows.length === 0) return '(none)\n';
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `${text}\n`).join('');
}

/** A timestamp as ISO 8601 to the second, or `-`. */
export function formatTime(time: Timestamp | undefined): string {
  return time === undefined ? '-' : `${timestampDate(time).toISOString().slice(0, 19)}Z`;
}

/** A version state without its enum prefix: READY, ARCHIVED, ... */
export function stateName(state: registryV1.VersionState): string {
  return (registryV1.VersionState[state] ?? String(state)).replace(/^VERSION_STATE_/, '');
}

/** `name datatype [d0,d1]` per tensor, comma separated. */
export function formatTensors(tensors: readonly registryV1.TensorSpec[]): string {
  return tensors.map((t) => `${t.name} ${t.datatype} [${t.shape.join(',')}]`).join(', ') || '-';
}

/** Proto JSON (int64 as strings, timestamps in RFC 3339) of registry messages, for scripts. */
export const json = {
  model: (m: registryV1.Model) => toJson(registryV1.ModelSchema, m),
  version: (v: registryV1.ModelVersion) => toJson(registryV1.ModelVersionSchema, v),
  alias: (a: registryV1.Alias) => toJson(registryV1.AliasSchema, a),
  move: (m: registryV1.AliasMove) => toJson(registryV1.AliasMoveSchema, m),
};

/** One line per version: number, state, size, digest prefix, aliases pointing at it, creation. */
export function versionRows(
  versions: readonly registryV1.ModelVersion[],
  aliases: readonly registryV1.Alias[],
): string[][] {
  return versions.map((v) => [
    String(v.number),
    stateName(v.state),
    formatBytes(Number(v.sizeBytes)),
    v.sha256.slice(0, 12),
    aliases
      .filter((a) => a.version === v.number)
      .map((a) => a.name)
      .join(',') || '-',
    formatTime(v.createTime),
    v.createdBy,
  ]);
}

/** Header of {@link versionRows}. */
export const VERSION_COLUMNS = ['VERSION', 'STATE', 'SIZE', 'SHA256', 'ALIASES', 'CREATED', 'BY'];
