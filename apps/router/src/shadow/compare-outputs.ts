import { equals } from '@bufbuild/protobuf';
import { inference } from '@verdict/proto';

type Response = inference.ModelInferResponse;
type Output = inference.ModelInferResponse_InferOutputTensor;

/** How close a shadow answer came to the primary answer. */
export interface OutputComparison {
  /**
   * Every output agrees: floating-point outputs have the same argmax in each row (along the last
   * dimension), other outputs are equal element for element, and no output is missing.
   */
  readonly agree: boolean;
  /** Largest absolute difference between corresponding FP32/FP64 elements; 0 when none. */
  readonly maxAbsDiff: number;
  /** Mean absolute difference over all corresponding FP32/FP64 elements; 0 when none. */
  readonly meanAbsDiff: number;
}

/**
 * Compares two decoded ModelInferResponses output by output (matched by name). Reads raw
 * little-endian output contents or typed contents alike.
 */
export function compareOutputs(primary: Response, shadow: Response): OutputComparison {
  let agree = true;
  let maxAbsDiff = 0;
  let sumAbsDiff = 0;
  let compared = 0;
  const shadowByName = new Map(shadow.outputs.map((output, index) => [output.name, index]));
  primary.outputs.forEach((output, index) => {
    const shadowIndex = shadowByName.get(output.name);
    if (shadowIndex === undefined) {
      agree = false;
      return;
    }
    const other = shadow.outputs[shadowIndex];
    const a = floatValues(output, primary.rawOutputContents[index]);
    const b = floatValues(other, shadow.rawOutputContents[shadowIndex]);
    if (a === undefined || b === undefined) {
      if (
        !sameElements(
          output,
          primary.rawOutputContents[index],
          other,
          shadow.rawOutputContents[shadowIndex],
        )
      ) {
        agree = false;
      }
      return;
    }
    if (a.length !== b.length) {
      agree = false;
      return;
    }
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i] - b[i]);
      if (diff > maxAbsDiff || Number.isNaN(diff))
        maxAbsDiff = Number.isNaN(diff) ? Infinity : diff;
      sumAbsDiff += Number.isNaN(diff) ? 0 : diff;
    }
    compared += a.length;
    const shape = output.shape;
    const rowLength = shape.length === 0 ? a.length : Number(shape[shape.length - 1]);
    if (rowLength > 0 && !sameArgmaxPerRow(a, b, rowLength)) agree = false;
  });
  return { agree, maxAbsDiff, meanAbsDiff: compared === 0 ? 0 : sumAbsDiff / compared };
}

/** FP32/FP64 elements of an output as doubles; undefined for other datatypes. */
function floatValues(output: Output, raw: Uint8Array | undefined): ArrayLike<number> | undefined {
  if (output.datatype === 'FP32') {
    if (raw !== undefined) {
      const copy = new Uint8Array(raw); // Aligns the bytes for the typed array view.
      return new Float32Array(copy.buffer, 0, Math.floor(copy.length / 4));
    }
    return output.contents?.fp32Contents ?? [];
  }
  if (output.datatype === 'FP64') {
    if (raw !== undefined) {
      const copy = new Uint8Array(raw);
      return new Float64Array(copy.buffer, 0, Math.floor(copy.length / 8));
    }
    return output.contents?.fp64Contents ?? [];
  }
  return undefined;
}

function sameElements(
  a: Output,
  rawA: Uint8Array | undefined,
  b: Output,
  rawB: Uint8Array | undefined,
): boolean {
  if (a.datatype !== b.datatype) return false;
  if (rawA !== undefined || rawB !== undefined) {
    return rawA !== undefined && rawB !== undefined && Buffer.from(rawA).equals(Buffer.from(rawB));
  }
  if (a.contents === undefined || b.contents === undefined) return a.contents === b.contents;
  return equals(inference.InferTensorContentsSchema, a.contents, b.contents);
}

function sameArgmaxPerRow(a: ArrayLike<number>, b: ArrayLike<number>, rowLength: number): boolean {
  for (let start = 0; start + rowLength <= a.length; start += rowLength) {
    if (argmax(a, start, rowLength) !== argmax(b, start, rowLength)) return false;
  }
  return true;
}

function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}
