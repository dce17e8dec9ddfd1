export { Code } from './code';
export { VerdictError, isVerdictError } from './verdict-error';
export {
  InvalidArgumentError,
  NotFoundError,
  AlreadyExistsError,
  PermissionDeniedError,
  UnauthenticatedError,
  FailedPreconditionError,
  AbortedError,
  ResourceExhaustedError,
  DeadlineExceededError,
  UnavailableError,
  DataLossError,
  UnimplementedError,
} from './errors';
