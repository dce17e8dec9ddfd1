import { setTimeout as delay } from 'node:timers/promises';
import { buildMlp } from '@verdict/model-zoo';
import type { inference } from '@verdict/proto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  startModelServerStack,
  TEST_MLP,
  type ModelServerStack,
} from './testing/model-server-stack';

const SWAPS = 10;
/** Offered load; each tick sends what the elapsed time calls for, so timer drift does not lower it. */
const REQUESTS_PER_SECOND = 1200;
const TICK_MS = 5;

type Request = MessageInitShape<typeof inference.ModelInferRequestSchema>;

describe('zero-downtime version swaps', () => {
  let stack: ModelServerStack;
  beforeAll(async () => {
    stack = await startModelServerStack();
  });
  afterAll(() => stack.stop());

  it(`completes ${SWAPS} successive swaps under steady load with zero failed requests`, async () => {
    const client = stack.client();
    const pending: Request[] = [];
    let wake: (() => void) | undefined;
    let sending = true;
    let sent = 0;
    // One ModelStreamInfer stream carries the load, so the offered rate is the model server's, not per-call TLS work.
    async function* requests(): AsyncIterable<Request> {
      for (;;) {
        while (pending.length > 0) yield pending.shift()!;
        if (!sending) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    const responses = (async () => {
      const versions = new Map<string, number>();
      const failures: string[] = [];
      let received = 0;
      for await (const response of client.modelStreamInfer(requests(), { timeoutMs: 120_000 })) {
        received++;
        if (response.errorMessage !== '') failures.push(response.errorMessage);
        else
          versions.set(
            response.inferResponse!.modelVersion,
            (versions.get(response.inferResponse!.modelVersion) ?? 0) + 1,
          );
      }
      return { versions, failures, received };
    })();
    const load = (async () => {
      const input = new Uint8Array(new Float32Array(TEST_MLP.inputSize).fill(0.5).buffer);
      const loadStarted = Date.now();
      while (sending) {
        const due = Math.floor(((Date.now() - loadStarted) * REQUESTS_PER_SECOND) / 1000) - sent;
        for (let i = 0; i < due; i++) {
          pending.push({
            modelName: 'mlp',
            id: String(sent++),
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(TEST_MLP.inputSize)] }],
            rawInputContents: [input],
          });
        }
        wake?.();
        await delay(TICK_MS);
      }
      wake?.();
    })();
    const started = Date.now();
    for (let version = 2; version <= SWAPS + 1; version++) {
      await delay(100);
      await stack.writeModel('mlp', version, buildMlp({ ...TEST_MLP, seed: version }));
      await client.repositoryModelLoad({ modelName: 'mlp' });
      expect((await client.modelMetadata({ name: 'mlp' })).versions).toEqual([String(version)]);
    }
    await delay(100);
    sending = false;
    await load;
    const result = await responses;
    const seconds = (Date.now() - started) / 1000;
    client.close();
    expect(result.failures).toEqual([]);
    expect(result.received).toBe(sent);
    expect([...result.versions.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: SWAPS + 1 }, (_, i) => String(i + 1)),
    );
    // Reported, not asserted: a duration is no test on a shared machine.
    process.stdout.write(
      `hot swap: ${sent} requests in ${seconds.toFixed(2)} s (${Math.round(sent / seconds)}/s), ${SWAPS} swaps, 0 failed\n`,
    );
    // The old versions' workers are gone.
    expect(stack.manager.all().map((v) => v.version)).toEqual([SWAPS + 1]);
  }, 60_000);
});
