/**
 * One model instance: a worker thread holding one ONNX Runtime session. It answers `run`
 * messages one at a time, moving tensor memory back to the main thread as transferable buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { datatypeInfo, datatypeOfOrtType, type NumericArray } from '../tensors/datatypes';
import type { HostTensor } from '../tensors/host-tensor';
import type { ResultMessage, RunMessage, SessionSettings, StartedMessage } from './worker-protocol';

const settings = workerData as SessionSettings;
const port = parentPort!;

async function createSession(): Promise<{
  session: ort.InferenceSession;
  provider: string;
  fallbackReason?: string;
}> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: settings.graphOptimizationLevel,
    intraOpNumThreads: settings.intraOpNumThreads,
    interOpNumThreads: settings.interOpNumThreads,
  };
  if (settings.executionProvider === 'cuda') {
    try {
      const session = await ort.InferenceSession.create(settings.modelPath, {
        ...options,
        executionProviders: ['cuda'],
      });
      return { session, provider: 'cuda' };
    } catch (error) {
      const session = await ort.InferenceSession.create(settings.modelPath, {
        ...options,
        executionProviders: ['cpu'],
      });
      return { session, provider: 'cpu', fallbackReason: (error as Error).message };
    }
  }
  const session = await ort.InferenceSession.create(settings.modelPath, {
    ...options,
    executionProviders: ['cpu'],
  });
  return { session, provider: 'cpu' };
}

function toOrt(tensor: HostTensor): ort.Tensor {
  const info = datatypeInfo(tensor.datatype)!;
  return new ort.Tensor(info.ortType as 'float32', tensor.data as Float32Array, tensor.shape);
}

function fromOrt(name: string, tensor: ort.Tensor): HostTensor {
  const info = datatypeOfOrtType(tensor.type);
  if (info === undefined)
    throw new Error(`output ${name} has type ${tensor.type}, which the protocol cannot carry`);
  const data =
    info.datatype === 'BYTES' ? (tensor.data as string[]) : (tensor.data as NumericArray);
  return { name, datatype: info.datatype, shape: [...tensor.dims], data };
}

function send(message: ResultMessage): void {
  const transfer: ArrayBuffer[] = [];
  if (message.type === 'result') {
    for (const tensor of message.outputs) {
      if (!Array.isArray(tensor.data))
        transfer.push((tensor.data as NumericArray).buffer as ArrayBuffer);
    }
  }
  try {
    port.postMessage(message, transfer);
  } catch {
    // A buffer the native binding does not let go of is copied instead of moved.
    port.postMessage(message);
  }
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const created = await createSession();
    session = created.session;
    port.postMessage({
      type: 'ready',
      provider: created.provider,
      fallbackReason: created.fallbackReason,
    } satisfies StartedMessage);
  } catch (error) {
    port.postMessage({
      type: 'failed',
      message: (error as Error).message,
    } satisfies StartedMessage);
    return;
  }
  port.on('message', (message: RunMessage) => {
    void (async () => {
      try {
        const t0 = process.hrtime.bigint();
        const feeds: Record<string, ort.Tensor> = {};
        for (const tensor of message.inputs) feeds[tensor.name] = toOrt(tensor);
        const t1 = process.hrtime.bigint();
        const results = await session.run(feeds, [...message.outputs]);
        const t2 = process.hrtime.bigint();
        const outputs = message.outputs.map((name) => fromOrt(name, results[name]));
        const t3 = process.hrtime.bigint();
        send({
          type: 'result',
          id: message.id,
          outputs,
          inputNs: Number(t1 - t0),
          inferNs: Number(t2 - t1),
          outputNs: Number(t3 - t2),
        });
      } catch (error) {
        send({ type: 'error', id: message.id, message: (error as Error).message });
      }
    })();
  });
}

void main();
