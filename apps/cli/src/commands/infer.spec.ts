import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildSpamModel, createSpamFeaturizer } from '@verdict/model-zoo';
import {
  startModelServerStack,
  TEST_MLP,
  type ModelServerStack,
} from '../../../model-server/src/testing/model-server-stack';
import { inferCommand, routedFrom, type InferFlags } from './infer';
import { UsageError } from './usage-error';

/** A real model server (mTLS, real workers) serving `mlp` and `spam` 1 and 2. */
describe('verdict infer', () => {
  let stack: ModelServerStack;
  let pki: string;

  beforeAll(async () => {
    stack = await startModelServerStack(async (write) => {
      const config = 'max_batch_size: 8\ndynamic_batching: {}\nversion_policy:\n  all: {}\n';
      await write('spam', 1, buildSpamModel(1).bytes, config);
      await write('spam', 2, buildSpamModel(2).bytes, config);
    });
    // The CLI reads the local user's certificate as developer.pem, like `verdict pki init` writes it.
    pki = join(stack.dir, 'pki');
    await copyFile(stack.pki.client.cert, join(pki, 'developer.pem'));
    await copyFile(stack.pki.client.key, join(pki, 'developer.key'));
  }, 60_000);
  afterAll(() => stack.stop());

  const infer = async (flags: InferFlags) => {
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const { exitCode } = await inferCommand({ address: stack.address, pki, ...flags }, output);
    return { exitCode, json: text === '' ? undefined : JSON.parse(text) };
  };

  it('sends nested-array JSON to a one-input model and prints the OIP JSON response', async () => {
    const rows = [Array.from({ length: TEST_MLP.inputSize }, (_, i) => i / 10)];
    const { exitCode, json } = await infer({ model: 'mlp', input: JSON.stringify(rows) });
    expect(exitCode).toBe(0);
    expect(json).toMatchObject({ model_name: 'mlp', model_version: '1' });
    expect(json.outputs[0]).toMatchObject({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [1, TEST_MLP.outputSize],
    });
    const sum = (json.outputs[0].data as number[]).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    const explicit = await infer({
      model: 'mlp',
      input: JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, TEST_MLP.inputSize], data: rows[0] },
        ],
      }),
    });
    expect(explicit.json.outputs).toEqual(json.outputs);
  });

  it('featurizes --text for a spam model and asks for the version given', async () => {
    const message =
      'Subject: WIN CASH NOW\n\nclick here to claim your free prize money, act now!!!';
    const { exitCode, json } = await infer({ model: 'spam', version: '2', text: message });
    expect(exitCode).toBe(0);
    expect(json.model_version).toBe('2');
    expect(json.outputs[0].shape).toEqual([1, 2]);
    // The same features sent as JSON give the same answer.
    const features = Array.from(createSpamFeaturizer().featurize(message));
    const viaJson = await infer({ model: 'spam', version: '2', input: JSON.stringify([features]) });
    expect(viaJson.json.outputs).toEqual(json.outputs);
  });

  it('refuses --text for a model that is not a spam model, and needs exactly one of --input and --text', async () => {
    await expect(infer({ model: 'mlp', text: 'hello' })).rejects.toMatchObject({
      field: '--text',
    });
    await expect(infer({ model: 'mlp' })).rejects.toThrow(
      '--input or --text: expected exactly one',
    );
    await expect(infer({ model: 'mlp', input: '[[1]]', text: 'x' })).rejects.toThrow(UsageError);
  });

  it('prints "routed" only for a request the router placed in an experiment', () => {
    const empty = { 'x-verdict-experiment': '', 'x-verdict-variant': '' };
    expect(routedFrom(empty)).toEqual({});
    expect(routedFrom({})).toEqual({});
    expect(routedFrom({ 'x-verdict-experiment': 'exp-1', 'x-verdict-variant': 'control' })).toEqual(
      {
        routed: { experiment: 'exp-1', variant: 'control' },
      },
    );
  });
});
