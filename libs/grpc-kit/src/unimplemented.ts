import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { UnimplementedError } from '@verdict/errors';
import type { ServiceImpl } from './types';

/**
 * An implementation whose every method answers UNIMPLEMENTED naming itself. A service registers
 * it for an API it does not provide yet, so the API is visible (reflection) and authorized like
 * the real one, and callers get a clear status instead of a missing service.
 */
export function unimplementedService<S extends GenServiceMethods>(
  service: GenService<S>,
): ServiceImpl<S> {
  const impl: Record<string, () => never> = {};
  for (const method of service.methods) {
    impl[method.localName] = () => {
      throw new UnimplementedError(`${service.typeName}/${method.name}`);
    };
  }
  return impl as unknown as ServiceImpl<S>;
}
