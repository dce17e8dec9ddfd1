import { createEventBuffer } from './event-buffer';

describe('createEventBuffer', () => {
  it('delivers every event in batches, in order', async () => {
    const batches: number[][] = [];
    const buffer = createEventBuffer<number>({
      send: async (batch) => void batches.push([...batch]),
      batchSize: 4,
      lingerMs: 5,
    });
    for (let i = 0; i < 10; i++) buffer.push(i);
    await buffer.flush();
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(4);
    await buffer.close();
  });

  it('re-sends a failed batch unchanged until it is accepted', async () => {
    const attempts: string[][] = [];
    let failuresLeft = 3;
    const buffer = createEventBuffer<{ id: string }>({
      send: async (batch) => {
        attempts.push(batch.map((event) => event.id));
        if (failuresLeft-- > 0) throw new Error('analyzer away');
      },
      batchSize: 10,
      lingerMs: 1,
      retryInitialMs: 1,
    });
    buffer.push({ id: 'a' });
    buffer.push({ id: 'b' });
    await buffer.flush();
    expect(attempts).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    await buffer.close();
  });

  it('drops and reports events past the bound while the analyzer is away, never blocking push', async () => {
    let accept = false;
    let dropped = 0;
    const delivered: number[] = [];
    const buffer = createEventBuffer<number>({
      send: async (batch) => {
        if (!accept) throw new Error('away');
        delivered.push(...batch);
      },
      maxBuffered: 5,
      batchSize: 2,
      lingerMs: 1,
      retryInitialMs: 1,
      retryMaxMs: 5,
      onDropped: (count) => (dropped += count),
    });
    const pushed = Array.from({ length: 12 }, (_, i) => buffer.push(i));
    expect(pushed.filter(Boolean)).toHaveLength(5);
    expect(dropped).toBe(7);
    accept = true;
    await buffer.flush();
    expect(delivered.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4]);
    await buffer.close();
  });

  it('gives up on close after the timeout and reports what it could not send', async () => {
    let dropped = 0;
    const buffer = createEventBuffer<number>({
      send: async () => {
        throw new Error('never');
      },
      lingerMs: 1,
      retryInitialMs: 1,
      onDropped: (count) => (dropped += count),
    });
    buffer.push(1);
    buffer.push(2);
    await buffer.close(50);
    expect(dropped).toBe(2);
    expect(buffer.push(3)).toBe(false);
  });
});
