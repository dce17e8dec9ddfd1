/** A value a request carries as an OIP v2 parameter. */
export type ParameterValue = string | number | boolean;

/**
 * What routing may read from a request. The router backs this with the gRPC metadata and the
 * fields it parsed from the request bytes; tests back it with plain records
 * ({@link attributesFrom}).
 */
export interface RequestAttributes {
  /** A metadata header; `name` is always lower case, as gRPC metadata keys are. */
  header(name: string): string | undefined;
  /** A request parameter (ModelInferRequest.parameters) by name. */
  parameter(name: string): ParameterValue | undefined;
  /** The request id; the unit when neither the unit header nor the unit parameter is there. */
  readonly requestId: string;
}

/**
 * Request attributes over plain records, for tests and tools.
 *
 * @param init - headers (keys matched case-insensitively), parameters and the request id
 */
export function attributesFrom(init: {
  headers?: Readonly<Record<string, string>>;
  parameters?: Readonly<Record<string, ParameterValue>>;
  requestId?: string;
}): RequestAttributes {
  const headers = new Map(
    Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const parameters = new Map(Object.entries(init.parameters ?? {}));
  return {
    header: (name) => headers.get(name),
    parameter: (name) => parameters.get(name),
    requestId: init.requestId ?? '',
  };
}
