import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, InvalidArgumentError } from '@verdict/errors';
import { inference } from '@verdict/proto';
import { datatypeInfo, SUPPORTED_DATATYPES, type Datatype } from './datatypes';
import { decodeInputs, type DecodeLimits } from './decode-inputs';
import { encodeOutputs, rawBytes, sliceRows } from './encode-outputs';
import type { ModelSignature } from './host-tensor';

const LIMITS: DecodeLimits = { maxBatchSize: 8, maxTensorBytes: 1 << 20 };

const signatureOf = (datatype: Datatype, dims: readonly number[] = [-1, 3]): ModelSignature => ({
  inputs: [{ name: 'x', datatype, shape: dims }],
  outputs: [{ name: 'y', datatype, shape: dims }],
});

type Init = MessageInitShape<typeof inference.ModelInferRequestSchema>;
const request = (init: Init) => create(inference.ModelInferRequestSchema, init);

/** Six elements of each datatype, chosen at the edges of its range, as the typed array and the contents field hold them. */
const SAMPLES: Record<Exclude<Datatype, 'BYTES'>, { typed: unknown[]; stored: unknown[] }> = {
  BOOL: { typed: [true, false, true, true, false, false], stored: [1, 0, 1, 1, 0, 0] },
  UINT8: { typed: [0, 1, 127, 128, 254, 255], stored: [0, 1, 127, 128, 254, 255] },
  UINT16: { typed: [0, 1, 255, 256, 65534, 65535], stored: [0, 1, 255, 256, 65534, 65535] },
  UINT32: { typed: [0, 1, 2 ** 31, 2 ** 32 - 1, 7, 9], stored: [0, 1, 2 ** 31, 2 ** 32 - 1, 7, 9] },
  UINT64: {
    typed: [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 7n, 9n],
    stored: [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 7n, 9n],
  },
  INT8: { typed: [-128, -1, 0, 1, 126, 127], stored: [-128, -1, 0, 1, 126, 127] },
  INT16: { typed: [-32768, -1, 0, 1, 300, 32767], stored: [-32768, -1, 0, 1, 300, 32767] },
  INT32: {
    typed: [-(2 ** 31), -1, 0, 1, 70000, 2 ** 31 - 1],
    stored: [-(2 ** 31), -1, 0, 1, 70000, 2 ** 31 - 1],
  },
  INT64: {
    typed: [-(2n ** 63n), -1n, 0n, 1n, 2n ** 40n, 2n ** 63n - 1n],
    stored: [-(2n ** 63n), -1n, 0n, 1n, 2n ** 40n, 2n ** 63n - 1n],
  },
  // FP16 has no typed form; its bits travel raw (0x3c00 is 1.0, 0x7c00 infinity).
  FP16: { typed: [], stored: [0x3c00, 0x0000, 0x8000, 0x7c00, 0x4000, 0xbc00] },
  FP32: {
    typed: [1.5, -2.25, 0, 3e38, -1e-38, 0.1],
    stored: Array.from(new Float32Array([1.5, -2.25, 0, 3e38, -1e-38, 0.1])),
  },
  FP64: {
    typed: [1.5, -2.25, 0, 1e308, -5e-324, 0.1],
    stored: [1.5, -2.25, 0, 1e308, -5e-324, 0.1],
  },
};

const NUMERIC = SUPPORTED_DATATYPES.filter((d): d is Exclude<Datatype, 'BYTES'> => d !== 'BYTES');

describe('tensor codec', () => {
  it('carries the 13 datatypes ONNX Runtime feeds', () => {
    expect([...SUPPORTED_DATATYPES].sort()).toEqual(
      [
        'BOOL',
        'BYTES',
        'FP16',
        'FP32',
        'FP64',
        'INT16',
        'INT32',
        'INT64',
        'INT8',
        'UINT16',
        'UINT32',
        'UINT64',
        'UINT8',
      ].sort(),
    );
    expect(datatypeInfo('BF16')).toBeUndefined();
  });

  it.each(NUMERIC)(
    'decodes %s from raw little-endian bytes and encodes it back to the same bytes',
    (datatype) => {
      const info = datatypeInfo(datatype)!;
      const stored = new info.array!(6);
      (stored as unknown as { set(v: ArrayLike<unknown>): void }).set(SAMPLES[datatype].stored);
      const wire = new Uint8Array(stored.buffer);
      // A view at an odd offset, as protobuf's decoder hands out slices of the message buffer.
      const framed = new Uint8Array(wire.length + 1);
      framed.set(wire, 1);
      const decoded = decodeInputs(
        request({
          inputs: [{ name: 'x', datatype, shape: [2n, 3n] }],
          rawInputContents: [framed.subarray(1)],
        }),
        signatureOf(datatype),
        LIMITS,
      );
      expect(decoded.rows).toBe(2);
      expect(decoded.outputs).toEqual(['y']);
      expect(decoded.inputs[0]).toMatchObject({ name: 'x', datatype, shape: [2, 3] });
      expect(Array.from(decoded.inputs[0].data as ArrayLike<unknown>)).toEqual(
        SAMPLES[datatype].stored,
      );
      // Aligned and owned, so the buffer can move to a worker.
      expect((decoded.inputs[0].data as Uint8Array).byteOffset).toBe(0);
      expect(Buffer.from(rawBytes(decoded.inputs[0].data))).toEqual(Buffer.from(wire));
    },
  );

  it.each(NUMERIC.filter((d) => d !== 'FP16'))(
    'decodes %s from its typed contents field',
    (datatype) => {
      const field = datatypeInfo(datatype)!.contents!;
      const decoded = decodeInputs(
        request({
          inputs: [
            {
              name: 'x',
              datatype,
              shape: [2n, 3n],
              contents: { [field]: SAMPLES[datatype].typed },
            },
          ],
        }),
        signatureOf(datatype),
        LIMITS,
      );
      expect(Array.from(decoded.inputs[0].data as ArrayLike<unknown>)).toEqual(
        SAMPLES[datatype].stored,
      );
    },
  );

  it('refuses typed contents for FP16, integers out of range, and the wrong contents field', () => {
    const attempt =
      (
        datatype: Datatype,
        contents: Init['inputs'] extends (infer T)[] | undefined
          ? T extends { contents?: infer C }
            ? C
            : never
          : never,
      ) =>
      () =>
        decodeInputs(
          request({ inputs: [{ name: 'x', datatype, shape: [1n, 3n], contents }] }),
          signatureOf(datatype),
          LIMITS,
        );
    expect(attempt('FP16', { fp32Contents: [1, 2, 3] })).toThrow(/raw_input_contents.*FP16/);
    expect(attempt('UINT8', { uintContents: [1, 256, 3] })).toThrow(
      /uint_contents\[1\].*0\.\.255.*256/,
    );
    expect(attempt('INT8', { intContents: [1, -129, 3] })).toThrow(/int_contents\[1\]/);
    expect(attempt('INT32', { fp32Contents: [1, 2, 3] })).toThrow(
      /fp32_contents.*int_contents for INT32/,
    );
    expect(attempt('FP32', { fp32Contents: [1, 2] })).toThrow(/3 elements.*2/);
  });

  it('reads BYTES from raw 4-byte little-endian length prefixes and writes them back the same way', () => {
    const elements = ['', 'spam', 'héllo wörld', 'x'.repeat(300)];
    const raw = rawBytes(elements);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    expect(view.getUint32(0, true)).toBe(0);
    expect(view.getUint32(4, true)).toBe(4);
    expect(Buffer.from(raw.subarray(8, 12)).toString()).toBe('spam');
    expect(view.getUint32(12, true)).toBe(Buffer.byteLength('héllo wörld'));
    expect(raw.byteLength).toBe(elements.reduce((sum, e) => sum + 4 + Buffer.byteLength(e), 0));
    const decoded = decodeInputs(
      request({
        inputs: [{ name: 'x', datatype: 'BYTES', shape: [2n, 2n] }],
        rawInputContents: [raw],
      }),
      signatureOf('BYTES', [-1, 2]),
      LIMITS,
    );
    expect(decoded.inputs[0].data).toEqual(elements);
    const typed = decodeInputs(
      request({
        inputs: [
          {
            name: 'x',
            datatype: 'BYTES',
            shape: [2n, 2n],
            contents: { bytesContents: elements.map((e) => new TextEncoder().encode(e)) },
          },
        ],
      }),
      signatureOf('BYTES', [-1, 2]),
      LIMITS,
    );
    expect(typed.inputs[0].data).toEqual(elements);
  });

  it('refuses BYTES with a cut length prefix, a length past the end, a wrong count or bytes that are not UTF-8', () => {
    const decode = (raw: Uint8Array) => () =>
      decodeInputs(
        request({
          inputs: [{ name: 'x', datatype: 'BYTES', shape: [1n, 2n] }],
          rawInputContents: [raw],
        }),
        signatureOf('BYTES', [-1, 2]),
        LIMITS,
      );
    const two = rawBytes(['ab', 'cd']);
    expect(decode(two.subarray(0, two.length - 1))).toThrow(/2 bytes for element 1.*1 bytes left/);
    expect(decode(Uint8Array.from([...two, 1, 0]))).toThrow(
      /4-byte little-endian length.*2 trailing bytes/,
    );
    expect(decode(rawBytes(['ab']))).toThrow(/2 length-prefixed elements.*1/);
    expect(decode(Uint8Array.from([1, 0, 0, 0, 0xff, 1, 0, 0, 0, 0x41]))).toThrow(/UTF-8/);
  });

  it('refuses raw and typed contents in one request, naming the input', () => {
    let error: unknown;
    try {
      decodeInputs(
        request({
          inputs: [
            { name: 'x', datatype: 'FP32', shape: [1n, 3n], contents: { fp32Contents: [1, 2, 3] } },
          ],
          rawInputContents: [new Uint8Array(12)],
        }),
        signatureOf('FP32'),
        LIMITS,
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: Code.INVALID_ARGUMENT, field: 'inputs[x].contents' });
  });

  it('refuses raw bytes whose length does not match shape x datatype', () => {
    expect(() =>
      decodeInputs(
        request({
          inputs: [{ name: 'x', datatype: 'INT64', shape: [1n, 3n] }],
          rawInputContents: [new Uint8Array(23)],
        }),
        signatureOf('INT64'),
        LIMITS,
      ),
    ).toThrow(/24 bytes \(3 INT64 elements\).*23 bytes/);
  });

  it('honours requested outputs in the order asked and slices rows without copying', () => {
    const signature: ModelSignature = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 2] },
        { name: 'b', datatype: 'INT64', shape: [-1] },
      ],
    };
    const decoded = decodeInputs(
      request({
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1n, 2n], contents: { fp32Contents: [1, 2] } },
        ],
        outputs: [{ name: 'b' }, { name: 'a' }],
      }),
      signature,
      LIMITS,
    );
    expect(decoded.outputs).toEqual(['b', 'a']);
    const batch = {
      name: 'a',
      datatype: 'FP32' as const,
      shape: [3, 2],
      data: Float32Array.of(1, 2, 3, 4, 5, 6),
    };
    const middle = sliceRows(batch, 1, 1);
    expect(middle.shape).toEqual([1, 2]);
    expect(Array.from(middle.data as Float32Array)).toEqual([3, 4]);
    expect((middle.data as Float32Array).buffer).toBe(batch.data.buffer);
    const encoded = encodeOutputs([middle]);
    expect(encoded.outputs).toEqual([{ name: 'a', datatype: 'FP32', shape: [1n, 2n] }]);
    expect(Array.from(new Float32Array(encoded.rawOutputContents![0].slice().buffer))).toEqual([
      3, 4,
    ]);
  });
});
