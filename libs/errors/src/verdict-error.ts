import { Code } from './code';

/**
 * The one error type of Verdict's domain code. The message is what a caller sees: it names
 * the field or resource, what was expected and what came. The `cause`, if any, is for logs
 * only and never leaves the process.
 */
export class VerdictError extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for a VerdictError (or a subclass). */
export function isVerdictError(value: unknown): value is VerdictError {
  return value instanceof VerdictError;
}
