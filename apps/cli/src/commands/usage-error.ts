/** Bad command-line input: the message names the flag or field and what was expected; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
