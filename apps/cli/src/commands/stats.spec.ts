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

  it('names the field of bad input, as a usage error (exit 2)', async () => {
    const streams = io(JSON.stringify({ counts: [1, 2], weights: 'half' }));
    await expect(statsCommand('srm', { json: true }, streams)).rejects.toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(/weights/) }),
    );
    const negative = io(
      JSON.stringify({
        type: 'binomial',
        control: { n: 10, successes: 11 },
        treatment: { n: 10, successes: 1 },
      }),
    );
    await expect(statsCommand('compare', { json: true }, negative)).rejects.toThrow(
      expect.objectContaining({
        name: 'UsageError',
        message: expect.stringMatching(/control\.successes/),
      }),
    );
  });

  it('prints insufficient data with the field and exits 2', async () => {
    const streams = io(
      JSON.stringify({
        type: 'binomial',
        control: { n: 300, successes: 2 },
        treatment: { n: 300, successes: 0 },
        relative: true,
      }),
    );
    expect(await statsCommand('compare', { json: true }, streams)).toEqual({ exitCode: 2 });
    expect(JSON.parse(streams.output.join(''))).toMatchObject({
      status: 'insufficient data',
      field: 'treatment',
    });
  });

  it('accepts ratio metrics and keeps the sign of a lift over a negative control mean', async () => {
    const ratio = io(
      JSON.stringify({
        type: 'ratio',
        control: {
          n: 500,
          sum_y: 1500,
          sum_y_squares: 9000,
          sum_x: 1000,
          sum_x_squares: 2600,
          sum_xy: 3400,
        },
        treatment: {
          n: 520,
          sum_y: 1700,
          sum_y_squares: 9900,
          sum_x: 1040,
          sum_x_squares: 2700,
          sum_xy: 3800,
        },
        method: 'sequential',
      }),
    );
    expect(await statsCommand('compare', { json: true }, ratio)).toEqual({ exitCode: 0 });
    expect(JSON.parse(ratio.output.join(''))).toMatchObject({ status: 'ok' });
    const negative = io(
      JSON.stringify({
        type: 'mean',
        control: { n: 1000, sum: -500, sum_squares: 1250 },
        treatment: { n: 1000, sum: -450, sum_squares: 1202.5 },
        relative: true,
      }),
    );
    await statsCommand('compare', { json: true }, negative);
    expect(JSON.parse(negative.output.join('')).estimate).toBeCloseTo(0.1, 12);
  });

  it('refuses invalid JSON and asks for --json', async () => {
    await expect(statsCommand('compare', { json: true }, io('{nope'))).rejects.toThrow(
      /stdin: expected one JSON document/,
    );
    expect(await statsCommand('compare', {}, io('{}'))).toEqual({ exitCode: 2 });
  });
});
