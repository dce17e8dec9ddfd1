import type { RoutedVariant } from '@verdict/routing';
import { withModelVersion } from '../wire/infer-request';

/**
 * The request bytes to send for `variant`: its version appended as model_version when it names
 * one, an empty model_version appended for an alias (the model server then picks by its
 * version policy), else the bytes unchanged. `requestVersion` is what the client asked for.
 */
export function versionedRequest(
  request: Buffer,
  variant: RoutedVariant,
  requestVersion?: string,
): Buffer {
  if (variant.version !== undefined) return withModelVersion(request, String(variant.version));
  if (variant.alias !== undefined && requestVersion !== '') return withModelVersion(request, '');
  return request;
}
