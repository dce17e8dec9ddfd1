import { Code } from './code';
import { VerdictError } from './verdict-error';

/** A request field holds a value that is not allowed. */
export class InvalidArgumentError extends VerdictError {
  readonly field: string;
  readonly expected: string;
  readonly received: string;

  constructor(context: { field: string; expected: string; received: string }) {
    super(
      Code.INVALID_ARGUMENT,
      `${context.field}: expected ${context.expected}, got ${context.received}`,
    );
    this.field = context.field;
    this.expected = context.expected;
    this.received = context.received;
  }
}

/** A named resource does not exist; `available` lists what does, when that list is short. */
export class NotFoundError extends VerdictError {
  readonly kind: string;
  readonly resource: string;
  readonly available: readonly string[] | undefined;

  constructor(context: { kind: string; resource: string; available?: readonly string[] }) {
    const known =
      context.available === undefined
        ? ''
        : context.available.length === 0
          ? ` (none exist)`
          : ` (available: ${context.available.join(', ')})`;
    super(Code.NOT_FOUND, `${context.kind} '${context.resource}' not found${known}`);
    this.kind = context.kind;
    this.resource = context.resource;
    this.available = context.available;
  }
}

/** A resource with the same identity exists already and may not be replaced. */
export class AlreadyExistsError extends VerdictError {
  readonly kind: string;
  readonly resource: string;

  constructor(context: { kind: string; resource: string }) {
    super(Code.ALREADY_EXISTS, `${context.kind} '${context.resource}' already exists`);
    this.kind = context.kind;
    this.resource = context.resource;
  }
}

/** The caller is known but lacks the permission the operation needs. */
export class PermissionDeniedError extends VerdictError {
  readonly principal: string;
  readonly permission: string;
  readonly resource: string | undefined;

  constructor(context: {
    principal: string;
    permission: string;
    resource?: string;
    reason?: string;
  }) {
    const on = context.resource ? ` on ${context.resource}` : '';
    const why = context.reason ? `: ${context.reason}` : '';
    super(
      Code.PERMISSION_DENIED,
      `${context.principal} lacks permission '${context.permission}'${on}${why}`,
    );
    this.principal = context.principal;
    this.permission = context.permission;
    this.resource = context.resource;
  }
}

/** The caller could not be identified (no, bad or expired credentials). */
export class UnauthenticatedError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.UNAUTHENTICATED, message, options);
  }
}

/** The system is not in the state the operation needs (a version not READY, a region with no pool). */
export class FailedPreconditionError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.FAILED_PRECONDITION, message, options);
  }
}

/** A compare-and-set or similar optimistic step lost a race; retrying may succeed. */
export class AbortedError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.ABORTED, message, options);
  }
}

/** A bounded resource (queue, spool, quota) is full. */
export class ResourceExhaustedError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.RESOURCE_EXHAUSTED, message, options);
  }
}

/** The deadline passed before the work could be done; the work was not done. */
export class DeadlineExceededError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.DEADLINE_EXCEEDED, message, options);
  }
}

/** A dependency is unreachable right now; retrying later may succeed. */
export class UnavailableError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.UNAVAILABLE, message, options);
  }
}

/** Stored data failed an integrity check (bad digest, bad authentication tag, torn record). */
export class DataLossError extends VerdictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.DATA_LOSS, message, options);
  }
}

/** The operation exists in the contract but this component does not provide it. */
export class UnimplementedError extends VerdictError {
  constructor(operation: string) {
    super(Code.UNIMPLEMENTED, `${operation} is not provided by this service`);
  }
}
