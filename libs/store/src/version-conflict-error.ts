import { AbortedError } from '@verdict/errors';

/**
 * A compare-and-set on a store entry found another version than the caller expected. It is an
 * `AbortedError` (gRPC ABORTED): the caller should re-read and retry.
 */
export class VersionConflictError extends AbortedError {
  readonly key: string;
  readonly expectedVersion: number;
  /** The version found; 0 when the key does not exist. */
  readonly actualVersion: number;

  constructor(context: { key: string; expectedVersion: number; actualVersion: number }) {
    super(
      `store key '${context.key}': expected version ${describe(context.expectedVersion)}, ` +
        `found ${describe(context.actualVersion)}`,
    );
    this.key = context.key;
    this.expectedVersion = context.expectedVersion;
    this.actualVersion = context.actualVersion;
  }
}

function describe(version: number): string {
  return version === 0 ? '0 (absent)' : String(version);
}
