import { InvalidArgumentError } from '@verdict/errors';
import { FieldCursor, WireFormatError, WireType } from './protobuf-wire';

// Field numbers of inference.ModelInferRequest (and of the name/version pair that
// ModelReadyRequest, ModelMetadataRequest and ModelConfigRequest share as fields 1 and 2).
const MODEL_NAME = 1;
const MODEL_VERSION = 2;
const ID = 3;
const PARAMETERS = 4;
const INPUTS = 5;
const RAW_INPUT_CONTENTS = 7;
// inference.InferParameter's oneof.
const BOOL_PARAM = 1;
const INT64_PARAM = 2;
const STRING_PARAM = 3;
const DOUBLE_PARAM = 4;
const UINT64_PARAM = 5;

/** What the router reads from an encoded ModelInferRequest; everything else stays bytes. */
export interface InferRequestHead {
  readonly modelName: string;
  readonly modelVersion: string;
  /** The request id, '' when the client sent none. */
  readonly id: string;
  /** Whether field 4 (parameters) occurs, so parameter lookups can be skipped when it does not. */
  readonly hasParameters: boolean;
}

/** A request parameter's value as targeting rules and unit lookups see it. */
export type ParameterValue = string | number | boolean | undefined;

const cursor = new FieldCursor();

/**
 * Reads model_name, model_version, id and whether parameters are present from an encoded
 * ModelInferRequest (or the name/version of a ModelReady/Metadata/Config request: fields 1
 * and 2). Later occurrences of a field win, as in any protobuf parser.
 * @throws InvalidArgumentError when the bytes are not a protobuf message or model_name is empty
 */
export function readInferRequestHead(bytes: Buffer, nameField = 'model_name'): InferRequestHead {
  const head = scanInferRequestHead(bytes);
  if (head.modelName === '') {
    throw new InvalidArgumentError({
      field: nameField,
      expected: 'the name of a model',
      received: 'an empty string',
    });
  }
  return head;
}

/**
 * {@link readInferRequestHead} without the model_name check (an empty name comes back empty),
 * e.g. to echo the id of a request that is being refused.
 * @throws InvalidArgumentError when the bytes are not a protobuf message
 */
export function scanInferRequestHead(bytes: Buffer): InferRequestHead {
  let modelName = '';
  let modelVersion = '';
  let id = '';
  let hasParameters = false;
  try {
    cursor.reset(bytes);
    while (cursor.next()) {
      if (cursor.wireType === WireType.LENGTH_DELIMITED) {
        switch (cursor.field) {
          case MODEL_NAME:
            modelName = cursor.string();
            continue;
          case MODEL_VERSION:
            modelVersion = cursor.string();
            continue;
          case ID:
            id = cursor.string();
            continue;
          case PARAMETERS:
            hasParameters = true;
            break;
        }
      }
      cursor.skip();
    }
  } catch (error) {
    if (error instanceof WireFormatError) {
      throw new InvalidArgumentError({
        field: 'request',
        expected: 'an encoded inference message',
        received: `bytes that do not parse (${error.message})`,
      });
    }
    throw error;
  }
  return { modelName, modelVersion, id, hasParameters };
}

/**
 * The value of request parameter `name` (the last entry with that key), or undefined.
 * int64/uint64 values come back as numbers (exact up to 2^53).
 */
export function readInferParameter(bytes: Buffer, name: string): ParameterValue {
  const outer = new FieldCursor().reset(bytes);
  const entry = new FieldCursor();
  let found: ParameterValue;
  try {
    while (outer.next()) {
      if (outer.field !== PARAMETERS || outer.wireType !== WireType.LENGTH_DELIMITED) {
        outer.skip();
        continue;
      }
      entry.reset(bytes, outer.valueStart, outer.valueEnd);
      outer.skip();
      let key = '';
      let valueStart = -1;
      let valueEnd = -1;
      while (entry.next()) {
        if (entry.field === 1 && entry.wireType === WireType.LENGTH_DELIMITED) {
          key = entry.string();
        } else if (entry.field === 2 && entry.wireType === WireType.LENGTH_DELIMITED) {
          valueStart = entry.valueStart;
          valueEnd = entry.valueEnd;
          entry.skip();
        } else {
          entry.skip();
        }
      }
      if (key === name && valueStart >= 0) found = readParameterValue(bytes, valueStart, valueEnd);
    }
  } catch (error) {
    if (error instanceof WireFormatError) return undefined;
    throw error;
  }
  return found;
}

function readParameterValue(bytes: Buffer, start: number, end: number): ParameterValue {
  const value = new FieldCursor().reset(bytes, start, end);
  let result: ParameterValue;
  while (value.next()) {
    switch (value.field) {
      case BOOL_PARAM:
        if (value.wireType !== WireType.VARINT) break;
        result = value.varintNumber() !== 0;
        continue;
      case INT64_PARAM:
        if (value.wireType !== WireType.VARINT) break;
        result = Number(BigInt.asIntN(64, value.varintBigInt()));
        continue;
      case UINT64_PARAM:
        if (value.wireType !== WireType.VARINT) break;
        result = Number(value.varintBigInt());
        continue;
      case STRING_PARAM:
        if (value.wireType !== WireType.LENGTH_DELIMITED) break;
        result = value.string();
        continue;
      case DOUBLE_PARAM:
        if (value.wireType !== WireType.FIXED64) break;
        result = value.double();
        continue;
    }
    value.skip();
  }
  return result;
}

/**
 * Calls `visit` with each input-bearing field's bytes (inputs and raw_input_contents) in wire
 * order, for digests of what the model was asked; names and parameters are left out.
 */
export function forEachInputChunk(bytes: Buffer, visit: (chunk: Buffer) => void): void {
  const fields = new FieldCursor().reset(bytes);
  while (fields.next()) {
    if (
      fields.wireType === WireType.LENGTH_DELIMITED &&
      (fields.field === INPUTS || fields.field === RAW_INPUT_CONTENTS)
    ) {
      visit(bytes.subarray(fields.valueStart, fields.valueEnd));
    }
    fields.skip();
  }
}

const responseCursor = new FieldCursor();

/** model_version (field 2) of an encoded ModelInferResponse; '' when absent or unreadable. */
export function readResponseVersion(bytes: Buffer): string {
  let version = '';
  try {
    responseCursor.reset(bytes);
    while (responseCursor.next()) {
      if (
        responseCursor.field === MODEL_VERSION &&
        responseCursor.wireType === WireType.LENGTH_DELIMITED
      ) {
        version = responseCursor.string();
      } else {
        responseCursor.skip();
      }
    }
  } catch {
    return version;
  }
  return version;
}
