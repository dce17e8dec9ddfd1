import { InvalidArgumentError } from '@verdict/errors';
import { readOnnxSignature, type OnnxSignature } from '@verdict/model-zoo';
import { onnx } from 'onnx-proto';

/**
 * Reads an ONNX model's signature from a stream of bytes without holding the model: it walks
 * the protobuf wire format, keeps only the graph's inputs, outputs, initializer names and the
 * metadata, and skips everything else (the weights). What it keeps is re-encoded as a small
 * ModelProto and handed to the model zoo's signature reader, so uploads and model servers agree
 * on what a signature is.
 */
export interface OnnxScanner {
  /** Feeds the next bytes. Throws InvalidArgumentError as soon as they cannot be ONNX. */
  push(chunk: Uint8Array): void;
  /** Ends the stream and returns the signature, or throws InvalidArgumentError. */
  end(): OnnxSignature;
}

/** Options of {@link createOnnxScanner}. */
export interface OnnxScannerOptions {
  /**
   * Largest single field kept in memory (a graph input or output description, a metadata entry).
   * @default 4 MiB
   */
  maxFieldBytes?: number;
}

type Op = { kind: 'read'; n: number } | { kind: 'skip'; n: number } | { kind: 'atEnd' };
type Answer = Uint8Array | boolean | undefined;

interface Captured {
  inputs: Uint8Array[];
  outputs: Uint8Array[];
  initializerNames: string[];
  metadata: Uint8Array[];
  sawIrVersion: boolean;
  sawOpset: boolean;
  sawGraph: boolean;
}

const notOnnx = (received: string) =>
  new InvalidArgumentError({ field: 'artifact', expected: 'an ONNX model (ModelProto)', received });

/** Creates a scanner for one artifact. */
export function createOnnxScanner(options: OnnxScannerOptions = {}): OnnxScanner {
  const maxFieldBytes = options.maxFieldBytes ?? 4 * 1024 * 1024;
  let pos = 0;
  const captured: Captured = {
    inputs: [],
    outputs: [],
    initializerNames: [],
    metadata: [],
    sawIrVersion: false,
    sawOpset: false,
    sawGraph: false,
  };

  function* read(n: number): Generator<Op, Uint8Array, Answer> {
    pos += n;
    return (yield { kind: 'read', n }) as Uint8Array;
  }
  function* skip(n: number): Generator<Op, void, Answer> {
    pos += n;
    if (n > 0) yield { kind: 'skip', n };
  }
  function* varint(): Generator<Op, number, Answer> {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = (yield* read(1))[0];
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw notOnnx('a malformed varint');
  }
  function* keep(length: number, what: string): Generator<Op, Uint8Array, Answer> {
    if (length > maxFieldBytes)
      throw notOnnx(`a ${what} of ${length} bytes (limit ${maxFieldBytes})`);
    return Uint8Array.from(yield* read(length));
  }
  function* skipField(wireType: number): Generator<Op, void, Answer> {
    if (wireType === 0) yield* varint();
    else if (wireType === 1) yield* skip(8);
    else if (wireType === 2) yield* skip(yield* varint());
    else if (wireType === 5) yield* skip(4);
    else throw notOnnx(`protobuf wire type ${wireType} at byte ${pos}`);
  }
  function* message(
    length: number,
    onField: (field: number, wireType: number) => Generator<Op, boolean, Answer>,
  ): Generator<Op, void, Answer> {
    const end = pos + length;
    while (pos < end) {
      const key = yield* varint();
      if (!(yield* onField(Math.floor(key / 8), key & 7))) yield* skipField(key & 7);
    }
    if (pos !== end) throw notOnnx('a nested message that overruns its length');
  }
  function* tensorName(field: number, wireType: number): Generator<Op, boolean, Answer> {
    if (field !== 8 || wireType !== 2) return false;
    captured.initializerNames.push(
      Buffer.from(yield* keep(yield* varint(), 'tensor name')).toString('utf8'),
    );
    return true;
  }
  function* graphField(field: number, wireType: number): Generator<Op, boolean, Answer> {
    if (wireType !== 2) return false;
    if (field === 11) captured.inputs.push(yield* keep(yield* varint(), 'graph input'));
    else if (field === 12) captured.outputs.push(yield* keep(yield* varint(), 'graph output'));
    else if (field === 5) yield* message(yield* varint(), tensorName);
    else return false;
    return true;
  }
  function* model(): Generator<Op, Captured, Answer> {
    while (!((yield { kind: 'atEnd' }) as boolean)) {
      const key = yield* varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      if (field === 1 && wireType === 0) captured.sawIrVersion = true;
      if (field === 8 && wireType === 2) captured.sawOpset = true;
      if (field === 7 && wireType === 2) {
        captured.sawGraph = true;
        yield* message(yield* varint(), graphField);
      } else if (field === 14 && wireType === 2) {
        captured.metadata.push(yield* keep(yield* varint(), 'metadata entry'));
      } else {
        yield* skipField(wireType);
      }
    }
    return captured;
  }

  const parser = model();
  let step = parser.next();
  let failure: unknown;
  let buffer: Uint8Array | undefined;
  let filled = 0;

  const advance = (answer: Answer) => {
    try {
      step = parser.next(answer);
    } catch (error) {
      failure = error;
      throw error;
    }
  };

  return {
    push(chunk) {
      if (failure !== undefined) throw failure;
      let offset = 0;
      while (offset < chunk.length && !step.done) {
        const op = step.value;
        if (op.kind === 'atEnd') {
          advance(false);
        } else if (op.kind === 'skip') {
          const take = Math.min(op.n, chunk.length - offset);
          op.n -= take;
          offset += take;
          if (op.n === 0) advance(undefined);
        } else {
          buffer ??= new Uint8Array(op.n);
          const take = Math.min(op.n - filled, chunk.length - offset);
          buffer.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === op.n) {
            const full = buffer;
            buffer = undefined;
            filled = 0;
            advance(full);
          }
        }
      }
    },
    end() {
      if (failure !== undefined) throw failure;
      while (!step.done) {
        if (step.value.kind !== 'atEnd')
          throw notOnnx(`a stream that ends inside a field at byte ${pos}`);
        advance(true);
      }
      const found = step.value;
      if (!found.sawGraph || !found.sawOpset || !found.sawIrVersion) {
        throw notOnnx('bytes without an ir_version, opset_import and graph');
      }
      if (found.outputs.length === 0) throw notOnnx('a graph without outputs');
      return signatureOf(found);
    },
  };
}

function signatureOf(found: Captured): OnnxSignature {
  let skeleton: Uint8Array;
  try {
    skeleton = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        graph: onnx.GraphProto.create({
          input: found.inputs.map((bytes) => onnx.ValueInfoProto.decode(bytes)),
          output: found.outputs.map((bytes) => onnx.ValueInfoProto.decode(bytes)),
          initializer: found.initializerNames.map((name) => onnx.TensorProto.create({ name })),
        }),
        metadataProps: found.metadata.map((bytes) => onnx.StringStringEntryProto.decode(bytes)),
      }),
    ).finish();
  } catch (error) {
    throw notOnnx(`graph inputs or outputs that do not decode (${(error as Error).message})`);
  }
  return readOnnxSignature(skeleton);
}
