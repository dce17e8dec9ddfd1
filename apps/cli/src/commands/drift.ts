import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { toJson } from '@bufbuild/protobuf';
import { buildReferenceProfile, type InputRow } from '@verdict/drift';
import type { TypedClient } from '@verdict/grpc-kit';
import { driftV1 } from '@verdict/proto';
import { ANALYZER_CALL_TIMEOUT_MS, DEFAULT_ANALYZER_ADDRESS } from './analyzer-client';
import type { CommandResult } from './command';
import { cliClient } from '../environment/cli-client';
import type { ModelIo } from './model';
import { describeRpcFailure } from './model-client';
import { formatTable, formatTime } from './model-format';
import { UsageError } from './usage-error';

export const DRIFT_USAGE = `verdict drift profile|status|alerts [--address 127.0.0.1:50054] [--pki .verdict/pki] [--json]

  verdict drift profile --model NAME --version N --input TENSOR --data ROWS.jsonl [--source TEXT]
      Computes the reference profile of a model version's input from a JSON-lines file (one row
      per line: an array of numbers, or of strings for a BYTES input), usually the training set,
      and stores it in the analyzer. Profiles are immutable (docs/drift.md).
  verdict drift status --model NAME --version N
      The latest windows of live inputs against the profile, per feature (PSI, p-values).
  verdict drift alerts [--model NAME]
      Drift alerts, newest first.`;

/** Flags of `verdict drift`. */
export interface DriftFlags {
  address?: string;
  pki?: string;
  model?: string;
  version?: string;
  input?: string;
  data?: string;
  source?: string;
  json?: boolean;
  help?: boolean;
}

/** A typed client of verdict.drift.v1.DriftService. */
export type DriftClient = TypedClient<typeof driftV1.DriftService.method>;

/** DriftService of the analyzer over mutual TLS with the local user's certificate. */
export function connectDrift(flags: Pick<DriftFlags, 'address' | 'pki'>): DriftClient {
  return cliClient(driftV1.DriftService, {
    address: flags.address ?? DEFAULT_ANALYZER_ADDRESS,
    pkiDir: flags.pki,
    defaultTimeoutMs: ANALYZER_CALL_TIMEOUT_MS,
  });
}

function required(flags: DriftFlags, name: 'model' | 'version' | 'input' | 'data'): string {
  const value = flags[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Reads the rows of a JSON-lines file; a bad line is a UsageError naming the line. */
export async function readRows(path: string): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  let line = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      throw new UsageError(`${path}:${line}: expected a JSON array, got invalid JSON`);
    }
    const ok =
      Array.isArray(row) &&
      row.length > 0 &&
      (row.every((v) => typeof v === 'number') || row.every((v) => typeof v === 'string'));
    if (!ok) {
      throw new UsageError(`${path}:${line}: expected a non-empty array of numbers or of strings`);
    }
    rows.push(row as InputRow);
  }
  return rows;
}

async function profile(flags: DriftFlags, io: ModelIo): Promise<void> {
  const model = required(flags, 'model');
  const version = required(flags, 'version');
  const input = required(flags, 'input');
  const data = required(flags, 'data');
  const rows = await readRows(data);
  let built: driftV1.ReferenceProfile;
  try {
    built = buildReferenceProfile({ model, version, input, source: flags.source ?? data, rows });
  } catch (error) {
    throw new UsageError(`${data}: ${(error as Error).message}`);
  }
  const client = connectDrift(flags);
  try {
    const stored = await client.putReferenceProfile({ profile: built });
    if (flags.json === true) {
      io.out.write(
        `${JSON.stringify({ model, version, input, rows: Number(built.rows), features: built.features.map((f) => f.name), sha256: stored.sha256 })}\n`,
      );
    } else {
      io.out.write(
        `reference profile of ${model}:${version} (${input}) from ${built.rows} rows: ` +
          `${built.features.length} features, sha256 ${stored.sha256}\n`,
      );
    }
  } finally {
    client.close();
  }
}

const fixed = (value: number) =>
  value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4)
    ? value.toFixed(3)
    : value.toExponential(2);

async function status(flags: DriftFlags, io: ModelIo): Promise<void> {
  const model = required(flags, 'model');
  const version = required(flags, 'version');
  const client = connectDrift(flags);
  try {
    const answer = await client.getDriftStatus({ model, version });
    if (flags.json === true) {
      io.out.write(`${JSON.stringify(toJson(driftV1.GetDriftStatusResponseSchema, answer))}\n`);
      return;
    }
    const last = answer.windows.at(-1);
    io.out.write(
      `${model}:${version}: ${answer.windows.length} window(s) evaluated, ${answer.pendingRows} row(s) waiting` +
        (last === undefined
          ? '\n'
          : `; latest at ${formatTime(last.time)}: ${last.drifted ? `DRIFTED (${last.consecutiveDrifted} in a row)` : 'no drift'}\n\n`),
    );
    if (last !== undefined) {
      io.out.write(
        formatTable(
          ['FEATURE', 'PSI', 'STATISTIC', 'P', 'ADJUSTED P', 'DRIFTED'],
          last.features.map((f) => [
            f.feature,
            fixed(f.psi),
            fixed(f.statistic),
            fixed(f.pValue),
            fixed(f.adjustedPValue),
            f.drifted ? 'yes' : 'no',
          ]),
        ),
      );
    }
  } finally {
    client.close();
  }
}

async function alerts(flags: DriftFlags, io: ModelIo): Promise<void> {
  const client = connectDrift(flags);
  try {
    const answer = await client.listDriftAlerts({ model: flags.model ?? '', pageSize: 100 });
    if (flags.json === true) {
      io.out.write(`${JSON.stringify(toJson(driftV1.ListDriftAlertsResponseSchema, answer))}\n`);
      return;
    }
    io.out.write(
      formatTable(
        ['TIME', 'MODEL', 'WINDOWS', 'FEATURES', 'DELIVERED TO', 'ID'],
        answer.alerts.map((a) => [
          formatTime(a.time),
          `${a.model}:${a.version}`,
          String(a.consecutiveDrifted),
          a.features.map((f) => `${f.feature} (PSI ${fixed(f.psi)})`).join(', '),
          a.deliveredTo.join(', ') || '-',
          a.id,
        ]),
      ),
    );
  } finally {
    client.close();
  }
}

/** `verdict drift profile|status|alerts`. */
export async function driftCommand(
  args: readonly string[],
  flags: DriftFlags,
  io: ModelIo = { out: process.stdout, err: process.stderr },
): Promise<CommandResult> {
  const action = { profile, status, alerts }[args[0] as 'profile' | 'status' | 'alerts'];
  if (flags.help === true || args.length === 0) {
    io.out.write(`${DRIFT_USAGE}\n`);
    return { exitCode: 0 };
  }
  if (args.length !== 1 || action === undefined) {
    io.err.write(
      `verdict drift: expected profile, status or alerts, got "${args.join(' ')}"\n\n${DRIFT_USAGE}\n`,
    );
    return { exitCode: 2 };
  }
  try {
    await action(flags, io);
    return { exitCode: 0 };
  } catch (error) {
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`verdict drift ${args[0]}: ${message}\n`);
    return { exitCode: error instanceof UsageError ? 2 : 1 };
  }
}
