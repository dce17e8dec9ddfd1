import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { inference } from './index';

// Field numbers and wire types asserted here are those of Triton's published grpc_service.proto.

/** Every top-level field of an encoded message, in order, with its raw payload. */
function readFields(
  bytes: Uint8Array,
): Array<{ no: number; wireType: WireType; payload: Uint8Array }> {
  const reader = new BinaryReader(bytes);
  const fields: Array<{ no: number; wireType: WireType; payload: Uint8Array }> = [];
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const payload =
      wireType === WireType.LengthDelimited ? reader.bytes() : reader.skip(wireType, no);
    fields.push({ no, wireType, payload });
  }
  return fields;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('InferParameter on the wire', () => {
  it.each([
    ['bool_param', { case: 'boolParam', value: true }, '0801'],
    ['int64_param', { case: 'int64Param', value: -5n }, '10fbffffffffffffffff01'],
    ['string_param', { case: 'stringParam', value: 'x' }, '1a0178'],
    ['double_param', { case: 'doubleParam', value: 0.5 }, '21000000000000e03f'],
    [
      'uint64_param',
      { case: 'uint64Param', value: 18446744073709551615n },
      '28ffffffffffffffffff01',
    ],
  ] as const)('encodes %s with its published field number', (_name, choice, expectedHex) => {
    const bytes = toBinary(
      inference.InferParameterSchema,
      create(inference.InferParameterSchema, { parameterChoice: choice }),
    );
    expect(hex(bytes)).toBe(expectedHex);
    expect(fromBinary(inference.InferParameterSchema, bytes).parameterChoice).toEqual(choice);
  });

  it('declares the five choices at numbers 1 to 5 in one oneof', () => {
    const oneof = inference.InferParameterSchema.oneofs[0];
    expect(oneof.name).toBe('parameter_choice');
    expect(oneof.fields.map((field) => [field.name, field.number])).toEqual([
      ['bool_param', 1],
      ['int64_param', 2],
      ['string_param', 3],
      ['double_param', 4],
      ['uint64_param', 5],
    ]);
  });
});

describe('ModelInferRequest on the wire', () => {
  const request = create(inference.ModelInferRequestSchema, {
    modelName: 'spam',
    modelVersion: '2',
    id: 'req-1',
    parameters: {
      priority: { parameterChoice: { case: 'uint64Param', value: 2n } },
      timeout: { parameterChoice: { case: 'int64Param', value: 5000n } },
    },
    inputs: [
      {
        name: 'features',
        datatype: 'FP32',
        shape: [1n, 2n],
        contents: {
          fp32Contents: [1.5, -2],
          int64Contents: [3n],
          bytesContents: [new Uint8Array([0x61, 0x62])],
        },
      },
    ],
    outputs: [{ name: 'probabilities' }],
    rawInputContents: [new Uint8Array([1, 2, 3, 4])],
  });
  const bytes = toBinary(inference.ModelInferRequestSchema, request);
  const fields = readFields(bytes);

  it('puts every field at its published number', () => {
    expect(fields.map((field) => field.no)).toEqual([1, 2, 3, 4, 4, 5, 6, 7]);
    expect(fields.every((field) => field.wireType === WireType.LengthDelimited)).toBe(true);
    expect(Buffer.from(fields[0].payload).toString()).toBe('spam');
    expect(Buffer.from(fields[1].payload).toString()).toBe('2');
    expect(Buffer.from(fields[2].payload).toString()).toBe('req-1');
    expect(hex(fields[7].payload)).toBe('01020304');
  });

  it('encodes parameters as map entries of key 1 and InferParameter value 2', () => {
    const entries = fields
      .filter((field) => field.no === 4)
      .map((field) => readFields(field.payload));
    const byKey = new Map(
      entries.map((entry) => [Buffer.from(entry[0].payload).toString(), entry]),
    );
    const priority = byKey.get('priority');
    expect(priority?.map((field) => field.no)).toEqual([1, 2]);
    // uint64_param = 5, varint 2
    expect(hex(priority?.[1].payload ?? new Uint8Array())).toBe('2802');
    // int64_param = 2, varint 5000 (0x88 0x27)
    expect(hex(byKey.get('timeout')?.[1].payload ?? new Uint8Array())).toBe('108827');
  });

  it('nests typed contents in InferInputTensor field 5, packed where the published proto packs', () => {
    const tensor = readFields(fields[5].payload);
    expect(tensor.map((field) => field.no)).toEqual([1, 2, 3, 5]);
    // shape: packed int64 [1, 2]
    expect(hex(tensor[2].payload)).toBe('0102');
    const contents = readFields(tensor[3].payload);
    expect(contents.map((field) => [field.no, field.wireType])).toEqual([
      [3, WireType.LengthDelimited],
      [6, WireType.LengthDelimited],
      [8, WireType.LengthDelimited],
    ]);
    expect(hex(contents[0].payload)).toBe('03');
    // fp32_contents: little-endian 1.5 then -2
    expect(hex(contents[1].payload)).toBe('0000c03f000000c0');
    expect(hex(contents[2].payload)).toBe('6162');
  });

  it('decodes bytes written field by field the way a Triton client lays them out', () => {
    const writer = new BinaryWriter();
    writer.tag(1, WireType.LengthDelimited).string('spam');
    writer.tag(5, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string('x');
    writer.tag(2, WireType.LengthDelimited).string('UINT64');
    writer.tag(3, WireType.LengthDelimited).fork().int64(3n).join();
    writer.tag(5, WireType.LengthDelimited).fork();
    writer.tag(5, WireType.LengthDelimited).fork().uint64(7n).uint64(9n).join();
    writer.join();
    writer.join();
    writer.tag(7, WireType.LengthDelimited).bytes(new Uint8Array([9, 8]));
    const decoded = fromBinary(inference.ModelInferRequestSchema, writer.finish());
    expect(decoded.modelName).toBe('spam');
    expect(decoded.inputs[0].datatype).toBe('UINT64');
    expect(decoded.inputs[0].shape).toEqual([3n]);
    expect(decoded.inputs[0].contents?.uint64Contents).toEqual([7n, 9n]);
    expect(decoded.rawInputContents).toEqual([new Uint8Array([9, 8])]);
  });
});

describe('responses on the wire', () => {
  it('puts raw_output_contents at 6 and the stream error at ModelStreamInferResponse field 1', () => {
    const response = create(inference.ModelInferResponseSchema, {
      modelName: 'spam',
      id: 'req-1',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, 2n] }],
      rawOutputContents: [new Uint8Array([0, 0, 0x80, 0x3f])],
    });
    const streamed = create(inference.ModelStreamInferResponseSchema, {
      errorMessage: 'input "x": expected FP32, received INT64',
      inferResponse: response,
    });
    const outer = readFields(toBinary(inference.ModelStreamInferResponseSchema, streamed));
    expect(outer.map((field) => field.no)).toEqual([1, 2]);
    expect(Buffer.from(outer[0].payload).toString()).toBe(
      'input "x": expected FP32, received INT64',
    );
    const inner = readFields(outer[1].payload);
    expect(inner.map((field) => field.no)).toEqual([1, 3, 5, 6]);
    expect(hex(inner[3].payload)).toBe('0000803f');
  });
});
