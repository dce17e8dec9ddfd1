import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { inference } from '@verdict/proto';
import {
  startModelServerStack,
  TEST_MLP,
  type ModelServerStack,
} from './testing/model-server-stack';

// Plain objects: mutations build requests the message types would not let a caller write.
type Request = Record<string, unknown>;
type InferRequest = MessageInitShape<typeof inference.ModelInferRequestSchema>;
const F = TEST_MLP.inputSize;
const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP64',
  'BF16',
  'BYTES',
  'fp32',
  '',
];

/** The valid input tensor for `rows` rows. */
const tensor = (rows: number) => ({
  name: 'input',
  datatype: 'FP32',
  shape: [BigInt(rows), BigInt(F)],
});

/** A valid request for `rows` rows, before a mutation breaks it. */
const valid = (rows: number): Request => ({
  modelName: 'mlp',
  inputs: [tensor(rows)],
  rawInputContents: [new Uint8Array(rows * F * 4)],
});

/** Each breaks a valid request in one way the protocol forbids. */
const mutations: fc.Arbitrary<(rows: number) => Request>[] = [
  fc
    .string()
    .filter((name) => name !== 'input')
    .map((name) => (rows) => ({ ...valid(rows), inputs: [{ ...tensor(rows), name }] })),
  fc.constantFrom(...DATATYPES).map((datatype) => (rows) => ({
    ...valid(rows),
    inputs: [{ ...tensor(rows), datatype }],
  })),
  fc
    .array(fc.bigInt({ min: -3n, max: 1n << 40n }), { maxLength: 5 })
    .filter(
      (shape) =>
        !(shape.length === 2 && shape[1] === BigInt(F) && shape[0] >= 1n && shape[0] <= 64n),
    )
    .map((shape) => (rows) => ({ ...valid(rows), inputs: [{ ...tensor(rows), shape }] })),
  fc
    .integer({ min: 0, max: 4096 })
    .filter((n) => n % (F * 4) !== 0 || n === 0)
    .map((length) => (rows) => ({ ...valid(rows), rawInputContents: [new Uint8Array(length)] })),
  fc.constant((rows: number) => ({
    ...valid(rows),
    inputs: [{ ...tensor(rows), contents: { fp32Contents: Array(rows * F).fill(1) } }],
  })),
  fc
    .integer({ min: 0, max: 200 })
    .filter((n) => n !== 0)
    .map((count) => (rows: number) => ({
      ...valid(rows),
      rawInputContents: [],
      inputs: [{ ...tensor(rows), contents: { fp64Contents: Array(count).fill(1) } }],
    })),
  fc.integer({ min: 0, max: 200 }).map((count) => (rows: number) => ({
    ...valid(rows),
    rawInputContents: [],
    inputs: [
      {
        ...tensor(rows),
        contents: { fp32Contents: Array(count === rows * F ? count + 1 : count).fill(1) },
      },
    ],
  })),
  fc.constant((rows: number) => ({ ...valid(rows), inputs: [], rawInputContents: [] })),
  fc.constant((rows: number) => ({
    ...valid(rows),
    rawInputContents: [new Uint8Array(rows * F * 4), new Uint8Array(4)],
  })),
  fc.constant((rows: number) => ({
    ...valid(rows),
    inputs: [tensor(rows), tensor(rows)],
    rawInputContents: [new Uint8Array(rows * F * 4), new Uint8Array(rows * F * 4)],
  })),
  fc
    .string()
    .filter((name) => name !== 'mlp')
    .map((modelName) => (rows) => ({ ...valid(rows), modelName })),
  fc
    .string({ minLength: 1 })
    .filter((v) => v !== '1')
    .map((modelVersion) => (rows) => ({ ...valid(rows), modelVersion })),
  fc
    .string()
    .filter((name) => name !== 'probabilities')
    .map((name) => (rows) => ({ ...valid(rows), outputs: [{ name }] })),
  fc.constant(() => valid(65)),
  fc.constantFrom('timeout', 'priority').map((key) => (rows: number) => ({
    ...valid(rows),
    parameters: { [key]: { parameterChoice: { case: 'stringParam' as const, value: 'soon' } } },
  })),
  fc.constant((rows: number) => ({
    ...valid(rows),
    parameters: { timeout: { parameterChoice: { case: 'int64Param' as const, value: -5n } } },
  })),
];

describe('malformed requests', () => {
  let stack: ModelServerStack;
  beforeAll(async () => {
    stack = await startModelServerStack();
  });
  afterAll(() => stack.stop());

  it('all get INVALID_ARGUMENT or NOT_FOUND, and the server keeps serving', async () => {
    const client = stack.client();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(...mutations),
        fc.integer({ min: 1, max: 4 }),
        async (mutate, rows) => {
          const error = await client.modelInfer(mutate(rows) as InferRequest).then(
            () => undefined,
            (e: { code: number; details: string }) => e,
          );
          expect(error).toBeDefined();
          expect([status.INVALID_ARGUMENT, status.NOT_FOUND]).toContain(error!.code);
        },
      ),
      { numRuns: 300, seed: 20240611 },
    );
    const answer = await client.modelInfer(valid(2) as InferRequest);
    expect(answer.outputs[0].shape).toEqual([2n, BigInt(TEST_MLP.outputSize)]);
    expect((await client.serverLive({})).live).toBe(true);
    client.close();
  }, 60_000);
});
