import { create } from '@bufbuild/protobuf';
import { inference } from '@verdict/proto';
import { compareOutputs } from './compare-outputs';

type OutputInit = { name: string; datatype: string; shape: bigint[] };

function response(outputs: Array<OutputInit & { values: number[] }>, typed = false) {
  return create(inference.ModelInferResponseSchema, {
    outputs: outputs.map(({ values, ...output }) => ({
      ...output,
      ...(typed
        ? {
            contents:
              output.datatype === 'FP64' ? { fp64Contents: values } : { fp32Contents: values },
          }
        : {}),
    })),
    rawOutputContents: typed
      ? []
      : outputs.map(({ datatype, values }) =>
          datatype === 'FP64'
            ? new Uint8Array(new Float64Array(values).buffer)
            : new Uint8Array(new Float32Array(values).buffer),
        ),
  });
}

const probs = (values: number[], datatype = 'FP32') => ({
  name: 'probabilities',
  datatype,
  shape: [BigInt(values.length / 2), 2n],
  values,
});

describe('compareOutputs', () => {
  it('agrees on the same argmax per row and measures max and mean absolute differences', () => {
    const result = compareOutputs(
      response([probs([0.25, 0.75, 0.5, 0.25], 'FP64')]),
      response([probs([0.125, 0.875, 0.75, 0.25], 'FP64')]),
    );
    expect(result).toEqual({
      agree: true,
      maxAbsDiff: 0.25,
      meanAbsDiff: (0.125 + 0.125 + 0.25) / 4,
    });
  });

  it('disagrees when one row changes its argmax', () => {
    const result = compareOutputs(
      response([probs([0.25, 0.75, 0.5, 0.25])]),
      response([probs([0.25, 0.75, 0.25, 0.5])]),
    );
    expect(result.agree).toBe(false);
    expect(result.maxAbsDiff).toBe(0.25);
  });

  it('reads typed contents like raw contents', () => {
    const raw = compareOutputs(
      response([probs([0.25, 0.75, 0.5, 0.25])]),
      response([probs([0.5, 0.5, 0.5, 0.25])]),
    );
    const typed = compareOutputs(
      response([probs([0.25, 0.75, 0.5, 0.25])], true),
      response([probs([0.5, 0.5, 0.5, 0.25])], true),
    );
    expect(typed).toEqual(raw);
    expect(raw.agree).toBe(false);
  });

  it('disagrees when an output is missing or has another length', () => {
    expect(
      compareOutputs(
        response([probs([0.25, 0.75])]),
        response([{ ...probs([0.25, 0.75]), name: 'other' }]),
      ).agree,
    ).toBe(false);
    expect(
      compareOutputs(response([probs([0.25, 0.75])]), response([probs([0.25, 0.75, 1, 0])])).agree,
    ).toBe(false);
  });

  it('compares non-float outputs element for element', () => {
    const labels = (values: number[]) =>
      create(inference.ModelInferResponseSchema, {
        outputs: [
          {
            name: 'label',
            datatype: 'INT64',
            shape: [2n],
            contents: { int64Contents: values.map(BigInt) },
          },
        ],
      });
    expect(compareOutputs(labels([1, 0]), labels([1, 0]))).toEqual({
      agree: true,
      maxAbsDiff: 0,
      meanAbsDiff: 0,
    });
    expect(compareOutputs(labels([1, 0]), labels([1, 1])).agree).toBe(false);
  });
});
