import {
  fromJson,
  ScalarType,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
} from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@verdict/errors';

/** Longest excerpt of a bad value quoted in an error. */
const QUOTED_CHARS = 80;

/**
 * Decodes proto3 JSON like `fromJson`, but a failure names the offending field by its path in
 * proto field names (`models[0].experiments[1].kind`) instead of protobuf-es's message.
 *
 * @throws InvalidArgumentError naming the first field that does not decode
 */
export function decodeProtoJson<Desc extends DescMessage>(
  schema: Desc,
  json: JsonValue,
): MessageShape<Desc> {
  try {
    return fromJson(schema, json);
  } catch {
    throw locate(schema, json, '') ?? invalid('', `a ${schema.typeName} object`, json);
  }
}

/** The error for the first field of `json` that fails to decode, or undefined if none does. */
function locate(
  schema: DescMessage,
  json: JsonValue,
  path: string,
): InvalidArgumentError | undefined {
  if (!isObject(json)) return invalid(path, `a ${schema.typeName} object`, json);
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((one) => one.name === key || one.jsonName === key);
    const at = path === '' ? key : `${path}.${key}`;
    if (field === undefined) {
      const known = schema.fields.map((one) => one.name).join(', ');
      return invalid(at, `a field of ${schema.typeName} (${known})`, value);
    }
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
    try {
      fromJson(schema, { [key]: value });
      continue;
    } catch {
      return locateInField(field, value, fieldPath) ?? invalid(fieldPath, describe(field), value);
    }
  }
  return undefined;
}

function locateInField(
  field: DescField,
  value: JsonValue,
  path: string,
): InvalidArgumentError | undefined {
  if (field.fieldKind === 'message' && isObject(value)) return locate(field.message, value, path);
  if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const error = locate(field.message, value[index], `${path}[${index}]`);
      if (error !== undefined) return error;
    }
  }
  return undefined;
}

function describe(field: DescField): string {
  switch (field.fieldKind) {
    case 'scalar':
      return `a ${ScalarType[field.scalar].toLowerCase()}`;
    case 'enum':
      return `one of ${field.enum.values.map((value) => value.name).join(', ')}`;
    case 'message':
      return `a ${field.message.typeName} object`;
    case 'list':
      return field.listKind === 'message'
        ? `a list of ${field.message.typeName} objects`
        : field.listKind === 'enum'
          ? `a list of ${field.enum.name} values`
          : `a list of ${ScalarType[field.scalar].toLowerCase()} values`;
    case 'map':
      return 'an object (map)';
  }
}

function invalid(
  field: string,
  expected: string,
  value: JsonValue | undefined,
): InvalidArgumentError {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  const received = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}...` : text;
  return new InvalidArgumentError({ field: field || '(document)', expected, received });
}

/** Whether a JSON value is an object (not an array or null). */
export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
