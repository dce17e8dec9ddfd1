import { createInputSampler } from './input-sampler';
import type { HostTensor } from '../tensors/host-tensor';

const features = (rows: number): HostTensor => ({
  name: 'features',
  datatype: 'FP32',
  shape: [rows, 3],
  data: Float32Array.from({ length: rows * 3 }, (_, i) => i),
});

describe('input sampler', () => {
  it('copies the picked rows of each input and sends them in batches', async () => {
    const sent: unknown[][] = [];
    const picks = [0.9, 0.01, 0.9, 0.02];
    const sampler = createInputSampler({
      rate: 0.05,
      batchRows: 100,
      random: () => picks.shift() ?? 1,
      send: async (samples) => void sent.push(samples),
    });
    sampler.offer('spam', '2', [features(4)], 4);
    await sampler.close();
    expect(sent).toEqual([
      [
        { model: 'spam', version: '2', input: 'features', values: [3, 4, 5] },
        { model: 'spam', version: '2', input: 'features', values: [9, 10, 11] },
      ],
    ]);
  });

  it('drops and counts rows past the queue bound or after a failed send, never throwing', async () => {
    const dropped: string[] = [];
    const sampler = createInputSampler({
      rate: 1,
      maxQueuedRows: 2,
      batchRows: 100,
      send: () => Promise.reject(new Error('analyzer away')),
      onDrop: (rows, reason) => dropped.push(`${rows} ${reason}`),
    });
    expect(() => sampler.offer('spam', '1', [features(3)], 3)).not.toThrow();
    await sampler.close();
    expect(dropped).toEqual(['1 queue_full', '2 send_failed']);
  });

  it('samples BYTES rows as strings and nothing at rate 0', async () => {
    const sent: unknown[][] = [];
    const text: HostTensor = { name: 'text', datatype: 'BYTES', shape: [2, 1], data: ['a', 'b'] };
    const off = createInputSampler({ rate: 0, send: async (s) => void sent.push(s) });
    off.offer('m', '1', [text], 2);
    await off.close();
    const on = createInputSampler({ rate: 1, send: async (s) => void sent.push(s) });
    on.offer('m', '1', [text], 2);
    await on.close();
    expect(sent).toEqual([
      [
        { model: 'm', version: '1', input: 'text', strings: ['a'] },
        { model: 'm', version: '1', input: 'text', strings: ['b'] },
      ],
    ]);
  });
});
