import type { RoutedVariant } from '@verdict/routing';
import { lengthDelimited } from '../wire/protobuf-wire';

// model_version is field 2 of ModelInferRequest and of the metadata requests.
const MODEL_VERSION = 2;
/** The encoded model_version field per variant (tag, length, text), made once per table. */
const encodedVersions = new WeakMap<RoutedVariant, Buffer>();
const EMPTY_VERSION = lengthDelimited(MODEL_VERSION, Buffer.alloc(0));

/**
 * The request bytes to send for `variant`: its version appended as model_version when it names
 * one (a protobuf parser takes the last occurrence of a scalar field, so nothing is
 * re-encoded), an empty model_version appended for an alias (the model server then picks by its
 * version policy) unless the client sent none, else the bytes unchanged. `requestVersion` is
 * what the client asked for.
 */
export function versionedRequest(
  request: Buffer,
  variant: RoutedVariant,
  requestVersion?: string,
): Buffer {
  if (variant.version !== undefined) {
    let field = encodedVersions.get(variant);
    if (field === undefined) {
      field = lengthDelimited(MODEL_VERSION, Buffer.from(String(variant.version), 'utf8'));
      encodedVersions.set(variant, field);
    }
    return Buffer.concat([request, field], request.length + field.length);
  }
  if (variant.alias !== undefined && requestVersion !== '') {
    return Buffer.concat([request, EMPTY_VERSION], request.length + EMPTY_VERSION.length);
  }
  return request;
}
