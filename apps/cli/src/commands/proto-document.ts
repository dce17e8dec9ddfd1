import { fromJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './usage-error';

/**
 * Reads a message from proto3 JSON or YAML of the same shape. A field that does not decode is
 * named in the error (`<source>: kind: cannot decode enum ...`), so a person can fix the file.
 */
export function messageFromText<S extends DescMessage>(
  schema: S,
  text: string,
  source: string,
): MessageShape<S> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${source}: expected YAML or JSON, ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new UsageError(`${source}: expected a ${schema.name} object (proto3 JSON or YAML)`);
  }
  try {
    return fromJson(schema, document as JsonValue);
  } catch (error) {
    // protobuf-es names the value but not always the field: find the top-level field that fails.
    const field = Object.entries(document).find(([key, value]) => {
      try {
        fromJson(schema, { [key]: value } as JsonValue);
        return false;
      } catch {
        return true;
      }
    })?.[0];
    throw new UsageError(
      `${source}: ${field === undefined ? '' : `${field}: `}${(error as Error).message}`,
    );
  }
}
