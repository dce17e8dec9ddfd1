import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildSpamModel, spamHeldOutMessages } from '@verdict/model-zoo';
import { estimated, twoProportionZTest } from '@verdict/stats';
import {
  startModelServerStack,
  type ModelServerStack,
} from '../../../model-server/src/testing/model-server-stack';
import { replayCommand, replayReport, type ReplayFlags, type VersionReport } from './replay';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('replayReport', () => {
  it('reports accuracy, log-loss and latency per version and differences against the first', () => {
    const seen = (correct: boolean[], loss: number) =>
      correct.map((c, i) => ({ correct: c, logLoss: loss + i / 100, latencyUs: 100 + i }));
    const report = replayReport(
      new Map([
        ['1', seen([true, true, false, true], 0.2)],
        ['2', seen([true, true, true, true], 0.1)],
      ]),
      0.05,
    );
    expect(report[0]).toMatchObject({ version: '1', n: 4, accuracy: 0.75, latency_p50_us: 101 });
    expect(report[0].accuracy_difference).toBeUndefined();
    expect(report[0].log_loss).toBeCloseTo(0.215, 12);
    const expected = estimated(twoProportionZTest({ n: 4, successes: 3 }, { n: 4, successes: 4 }));
    expect(report[1]).toMatchObject({
      accuracy: 1,
      accuracy_difference: expected.estimate,
      accuracy_p_value: expected.pValue,
    });
    expect(report[1].log_loss_difference).toBeCloseTo(-0.1, 12);
  });
});

/** A real model server (mTLS, real workers) serving spam 1 and 2. */
describe('verdict experiment replay', () => {
  let stack: ModelServerStack;
  let pki: string;
  let data: string;
  const messages = spamHeldOutMessages().slice(0, 200);

  beforeAll(async () => {
    stack = await startModelServerStack(async (write) => {
      const config = 'max_batch_size: 8\ndynamic_batching: {}\nversion_policy:\n  all: {}\n';
      await write('spam', 1, buildSpamModel(1).bytes, config);
      await write('spam', 2, buildSpamModel(2).bytes, config);
    });
    pki = join(stack.dir, 'pki');
    await copyFile(stack.pki.client.cert, join(pki, 'developer.pem'));
    await copyFile(stack.pki.client.key, join(pki, 'developer.key'));
    data = join(stack.dir, 'held-out.jsonl');
    await writeFile(
      data,
      messages.map((m) => JSON.stringify({ text: m.text, label: m.label })).join('\n'),
    );
  }, 60_000);
  afterAll(() => stack.stop());

  const replay = async (flags: ReplayFlags) => {
    const out = capture();
    const err = capture();
    const { exitCode } = await replayCommand(
      { address: stack.address, pki, ...flags },
      { out: out.stream, err: err.stream },
    );
    return { exitCode, out: out.text(), err: err.text() };
  };

  it('replays every row on every version and reports the statistics as JSON', async () => {
    const { exitCode, out, err } = await replay({
      data,
      model: 'spam',
      variants: '1,2',
      json: true,
    });
    expect(exitCode).toBe(0);
    expect(err).toContain(`${2 * messages.length}/${2 * messages.length}`);
    const result = JSON.parse(out) as { rows: number; versions: VersionReport[] };
    expect(result.rows).toBe(messages.length);
    expect(result.versions.map((v) => [v.version, v.n])).toEqual([
      ['1', messages.length],
      ['2', messages.length],
    ]);
    for (const version of result.versions) {
      expect(version.accuracy).toBeGreaterThan(0.9);
      expect(version.accuracy_ci[0]).toBeLessThanOrEqual(version.accuracy);
      expect(version.accuracy_ci[1]).toBeGreaterThanOrEqual(version.accuracy);
      expect(version.log_loss).toBeGreaterThan(0);
      expect(version.latency_p99_us).toBeGreaterThanOrEqual(version.latency_p50_us);
    }
    const [first, second] = result.versions;
    expect(second.accuracy_difference).toBeCloseTo(second.accuracy - first.accuracy, 12);
  }, 60_000);

  it('prints a table for people', async () => {
    const { exitCode, out } = await replay({ data, model: 'spam', variants: '1,2' });
    expect(exitCode).toBe(0);
    expect(out).toMatch(/^spam: 200 rows replayed on versions 1, 2/);
    expect(out).toMatch(/VERSION\s+N\s+ACCURACY/);
  }, 60_000);

  it('refuses a malformed dataset naming the line, and bad flags naming the flag, with exit 2', async () => {
    const bad = join(stack.dir, 'bad.jsonl');
    await writeFile(bad, '{"text": "hello", "label": 1}\n{"text": "x", "label": -1}\n');
    const line = await replay({ data: bad, model: 'spam', variants: '1' });
    expect(line).toMatchObject({ exitCode: 2 });
    expect(line.err).toContain('bad.jsonl:2: "label" must be the index of the right class');
    const flag = await replay({ data, model: 'spam', variants: 'latest' });
    expect(flag).toMatchObject({ exitCode: 2 });
    expect(flag.err).toContain('--variants must list model versions');
  });
});
