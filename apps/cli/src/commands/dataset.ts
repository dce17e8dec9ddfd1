import { spamHeldOutMessages } from '@verdict/model-zoo';
import type { CommandResult } from './command';
import { UsageError } from './usage-error';

/** A labelled dataset as replay rows: `{"text": ..., "label": ...}`. */
type Dataset = () => ReadonlyArray<{ text: string; label: number }>;

/** The datasets `verdict dataset NAME` prints. */
export const DATASETS: Readonly<Record<string, Dataset>> = {
  /** The SpamAssassin messages the spam models never saw in training (what `npm run demo` sends). */
  'spam-held-out': () => spamHeldOutMessages(),
};

/** `verdict dataset NAME`: one JSON line per labelled row, the format `verdict experiment replay --data` reads. */
export async function datasetCommand(
  name: string,
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  const dataset = DATASETS[name];
  if (dataset === undefined) {
    throw new UsageError(
      `NAME: expected one of ${Object.keys(DATASETS).join(', ')}, got "${name}"`,
    );
  }
  const lines = dataset().map(({ text, label }) => JSON.stringify({ text, label }));
  output.write(`${lines.join('\n')}\n`);
  return { exitCode: 0 };
}
