import type { RequestHeaders } from '@verdict/grpc-kit';
import type { ParameterValue, RequestAttributes } from '@verdict/routing';
import { readInferParameter } from '../wire/infer-request';

/**
 * Routing's view of one request: headers from the gRPC metadata, parameters read from the
 * request bytes only when a rule or unit lookup asks for one. A class rather than closures, so
 * a request costs one small object.
 */
export class WireRequestAttributes implements RequestAttributes {
  constructor(
    private readonly headers: RequestHeaders,
    private readonly bytes: Buffer,
    private readonly hasParameters: boolean,
    readonly requestId: string,
  ) {}

  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  parameter(name: string): ParameterValue | undefined {
    return this.hasParameters ? readInferParameter(this.bytes, name) : undefined;
  }
}
