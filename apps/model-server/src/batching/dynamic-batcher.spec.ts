import { setTimeout as delay } from 'node:timers/promises';
import { Code } from '@verdict/errors';
import type { HostTensor } from '../tensors/host-tensor';
import type { InstancePool, RunResult } from '../workers/instance-pool';
import {
  createDynamicBatcher,
  type BatcherSettings,
  type BatchRequest,
  type BatchResponse,
} from './dynamic-batcher';

const SETTINGS: BatcherSettings = {
  maxBatchSize: 8,
  dynamic: true,
  preferredBatchSizes: [],
  maxQueueDelayMicroseconds: 0,
  maxQueueSize: 0,
  priorityLevels: 0,
  defaultPriorityLevel: 1,
  defaultTimeoutMicroseconds: 0,
};

/**
 * A one-instance pool the test drives by hand: each run waits until `release()`, then answers
 * output `y` = input `x` plus 1000, so every row's answer can be traced to the row sent.
 */
function createManualPool(): Pick<InstancePool, 'idleCount' | 'run'> & {
  /** Each model run's input rows, first value of each row. */
  readonly batches: number[][];
  release(): void;
  busy(): boolean;
} {
  const batches: number[][] = [];
  let waiting: (() => void) | undefined;
  return {
    batches,
    idleCount: () => (waiting === undefined ? 1 : 0),
    busy: () => waiting !== undefined,
    release() {
      const resume = waiting;
      waiting = undefined;
      resume?.();
    },
    run(inputs: readonly HostTensor[]): Promise<RunResult> {
      const x = inputs[0];
      const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const data = x.data as Float32Array;
      batches.push(Array.from({ length: x.shape[0] }, (_, row) => data[row * width]));
      return new Promise((resolve) => {
        waiting = () =>
          resolve({
            outputs: [{ ...x, name: 'y', data: data.map((v) => v + 1000) }],
            inputNs: 0,
            inferNs: 0,
            outputNs: 0,
          });
      });
    },
  };
}

/** A request of `rows` rows `[first, first + 1, ...]`, each row `width` wide. */
const request = (first: number, rows = 1, extra: Partial<BatchRequest> = {}, width = 2) =>
  ({
    inputs: [
      {
        name: 'x',
        datatype: 'FP32',
        shape: [rows, width],
        data: Float32Array.from({ length: rows * width }, (_, i) => first + Math.floor(i / width)),
      },
    ],
    rows,
    outputs: ['y'],
    priority: 0,
    timeoutMicroseconds: 0,
    ...extra,
  }) satisfies BatchRequest;

const firstColumn = (response: BatchResponse) => {
  const y = response.outputs[0];
  const width = y.shape[1];
  return Array.from({ length: y.shape[0] }, (_, row) => (y.data as Float32Array)[row * width]);
};

/** Lets queued promise callbacks and the batcher's pump run. */
const settle = () => delay(1);

describe('dynamic batcher', () => {
  it('gives each caller exactly its own rows, in order, out of one merged run', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(SETTINGS, pool);
    const blocker = batcher.submit(request(0));
    const answers = [
      batcher.submit(request(10, 3)),
      batcher.submit(request(20, 1)),
      batcher.submit(request(30, 2)),
    ];
    pool.release();
    await blocker;
    await settle();
    pool.release();
    const results = await Promise.all(answers);
    expect(pool.batches).toEqual([[0], [10, 11, 12, 20, 30, 31]]);
    expect(results.map(firstColumn)).toEqual([[1010, 1011, 1012], [1020], [1030, 1031]]);
    expect(results.map((r) => r.batchRows)).toEqual([6, 6, 6]);
  });

  it('never puts more than max_batch_size rows in one run', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher({ ...SETTINGS, maxBatchSize: 4 }, pool);
    const all = [batcher.submit(request(0))];
    for (let i = 1; i <= 6; i++) all.push(batcher.submit(request(i * 10, 2)));
    for (let run = 0; run < 5 && pool.busy(); run++) {
      pool.release();
      await settle();
    }
    await Promise.all(all);
    expect(pool.batches).toEqual([[0], [10, 11, 20, 21], [30, 31, 40, 41], [50, 51, 60, 61]]);
  });

  it('dispatches a preferred batch size at once, without waiting out the queue delay', async () => {
    const pool = createManualPool();
    // Timers fire in order of due time, so a 1 ms settle always observes the queue before a 50 ms delay ends.
    const batcher = createDynamicBatcher(
      { ...SETTINGS, preferredBatchSizes: [4], maxQueueDelayMicroseconds: 50_000 },
      pool,
    );
    const first = [batcher.submit(request(0, 2)), batcher.submit(request(2))];
    await settle();
    expect(pool.batches).toEqual([]);
    first.push(batcher.submit(request(3)));
    expect(pool.batches).toEqual([[0, 1, 2, 3]]);
    const rest = Array.from({ length: 6 }, (_, i) => batcher.submit(request(10 + i)));
    pool.release();
    await Promise.all(first);
    await settle();
    // Six wait; the preferred four go at once, the other two after the delay.
    expect(pool.batches).toEqual([
      [0, 1, 2, 3],
      [10, 11, 12, 13],
    ]);
    pool.release();
    await delay(80);
    expect(pool.batches[2]).toEqual([14, 15]);
    pool.release();
    await Promise.all(rest);
  });

  it('waits up to max_queue_delay for others to join, then runs what it has', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher({ ...SETTINGS, maxQueueDelayMicroseconds: 30_000 }, pool);
    const first = batcher.submit(request(1));
    await settle();
    // Idle instance, yet no run: the request waits for company.
    expect(pool.batches).toEqual([]);
    const second = batcher.submit(request(2));
    await delay(60);
    expect(pool.batches).toEqual([[1, 2]]);
    pool.release();
    expect((await first).batchRows).toBe(2);
    await second;
  });

  it('refuses a request at once with RESOURCE_EXHAUSTED when the queue is full', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher({ ...SETTINGS, maxQueueSize: 2 }, pool);
    const running = batcher.submit(request(0));
    const queued = [batcher.submit(request(1)), batcher.submit(request(2))];
    expect(batcher.pendingCount()).toBe(2);
    await expect(batcher.submit(request(3))).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
    pool.release();
    await running;
    await settle();
    pool.release();
    await Promise.all(queued);
    expect(pool.batches.flat()).toEqual([0, 1, 2]);
  });

  it('answers DEADLINE_EXCEEDED when the timeout passes in the queue, and never runs that request late', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(SETTINGS, pool);
    const running = batcher.submit(request(0));
    const late = batcher.submit(request(1, 1, { timeoutMicroseconds: 5_000 }));
    const defaulted = createDynamicBatcher(
      { ...SETTINGS, defaultTimeoutMicroseconds: 5_000 },
      createManualPool(),
    );
    await expect(late).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    expect(batcher.pendingCount()).toBe(0);
    const patient = batcher.submit(request(2));
    pool.release();
    await running;
    await settle();
    pool.release();
    await patient;
    expect(pool.batches).toEqual([[0], [2]]);
    // The model's default timeout applies to a request that names none.
    void defaulted.submit(request(7));
    await expect(defaulted.submit(request(8))).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
  });

  it('drops a request whose caller gave up', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(SETTINGS, pool);
    const running = batcher.submit(request(0));
    const controller = new AbortController();
    const abandoned = batcher.submit(request(1, 1, { signal: controller.signal }));
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    pool.release();
    await running;
    expect(pool.batches).toEqual([[0]]);
  });

  it('serves higher priority levels first', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(
      { ...SETTINGS, maxBatchSize: 1, priorityLevels: 3, defaultPriorityLevel: 2 },
      pool,
    );
    const all = [
      batcher.submit(request(0)),
      batcher.submit(request(31, 1, { priority: 3 })),
      batcher.submit(request(20)),
      batcher.submit(request(11, 1, { priority: 1 })),
      batcher.submit(request(32, 1, { priority: 3 })),
      batcher.submit(request(12, 1, { priority: 1 })),
    ];
    for (let run = 0; run < 6; run++) {
      pool.release();
      await settle();
    }
    await Promise.all(all);
    expect(pool.batches.flat()).toEqual([0, 11, 12, 20, 31, 32]);
  });

  it('batches only requests whose non-batch dimensions match', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(SETTINGS, pool);
    const all = [
      batcher.submit(request(0)),
      batcher.submit(request(10, 1, {}, 2)),
      batcher.submit(request(20, 1, {}, 3)),
      batcher.submit(request(30, 2, {}, 2)),
      batcher.submit(request(40, 1, {}, 3)),
    ];
    for (let run = 0; run < 3; run++) {
      pool.release();
      await settle();
    }
    const results = await Promise.all(all);
    expect(pool.batches).toEqual([[0], [10, 30, 31], [20, 40]]);
    expect(results.slice(1).map(firstColumn)).toEqual([[1010], [1020], [1030, 1031], [1040]]);
    expect(results[2].outputs[0].shape).toEqual([1, 3]);
  });

  it('drains: refuses new requests and resolves once queued and running ones are answered', async () => {
    const pool = createManualPool();
    const batcher = createDynamicBatcher(SETTINGS, pool);
    const all = [batcher.submit(request(0)), batcher.submit(request(1))];
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await expect(batcher.submit(request(2))).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    pool.release();
    await settle();
    expect(drained).toBe(false);
    pool.release();
    await Promise.all(all);
    await draining;
    expect(pool.batches).toEqual([[0], [1]]);
  });
});
