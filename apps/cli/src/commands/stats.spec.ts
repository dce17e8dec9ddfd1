import { statsCommand, type StatsIo } from './stats';

function io(input: string): StatsIo & { output: string[] } {
  const output: string[] = [];
  return { output, readInput: async () => input, write: (text) => void output.push(text) };
}

describe('verdict stats', () => {
  it('compares two binomial arms and prints the documented JSON shape', async () => {
    const streams = io(
      JSON.stringify({
        type: 'binomial',
        control: { n: 10_000, successes: 1_000 },
        treatment: { n: 10_000, successes: 1_200 },
        relative: false,
        method: 'frequentist',
        alpha: 0.05,
      }),
    );
    expect(await statsCommand('compare', { json: true }, streams)).toEqual({ exitCode: 0 });
    const result = JSON.parse(streams.output.join('')) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['estimate', 'se', 'ci', 'p_value']),
    );
    expect(result.estimate).toBeCloseTo(0.02, 10);
    expect((result.p_value as number) < 0.001).toBe(true);
  });

  it('flags a sample-ratio mismatch', async () => {
    const streams = io(JSON.stringify({ counts: [10_400, 9_600], weights: [0.5, 0.5] }));
    await statsCommand('srm', { json: true }, streams);
    expect(JSON.parse(streams.output.join(''))).toMatchObject({ mismatch: true });
  });

  it('names the field of bad input', async () => {
    const streams = io(JSON.stringify({ counts: [1, 2], weights: 'half' }));
    await expect(statsCommand('srm', { json: true }, streams)).rejects.toThrow(/weights/);
  });

  it('refuses invalid JSON and asks for --json', async () => {
    await expect(statsCommand('compare', { json: true }, io('{nope'))).rejects.toThrow(
      /stdin: expected one JSON document/,
    );
    expect(await statsCommand('compare', {}, io('{}'))).toEqual({ exitCode: 2 });
  });
});
