/**
 * A valid ONNX model of a chosen size, written to disk in chunks: a small MLP from
 * libs/model-zoo, then a second `graph` field holding one large float initializer. Protobuf
 * merges repeated embedded-message fields, so readers (the registry's scanner, onnxruntime)
 * see one graph with one extra, unused initializer.
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { buildMlp } from '@verdict/model-zoo';

/** Bytes of random padding generated and written per step. */
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;
/** ModelProto.graph, GraphProto.initializer, TensorProto dims/data_type/name/raw_data, as wire keys. */
const KEY = {
  graph: 0x3a,
  initializer: 0x2a,
  dims: 0x08,
  dataType: 0x10,
  name: 0x42,
  rawData: 0x4a,
};
const FLOAT = 1;
/** Fixed-width initializer name whose digits are rewritten to make each round's bytes new. */
const TAG_PREFIX = 'bench.padding.';
const TAG_DIGITS = 8;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A written artifact: its path, size, and where its rewritable tag lies. */
export interface BenchArtifact {
  path: string;
  sizeBytes: number;
  /** Rewrites the initializer name so the file's digest is new, without rewriting the file. */
  retag(round: number): Promise<void>;
}

/** Writes a valid ONNX model of about `targetBytes` (within a few bytes) to `path`. */
export async function writeBenchArtifact(
  path: string,
  targetBytes: number,
): Promise<BenchArtifact> {
  const base = Buffer.from(buildMlp({ inputSize: 16, hiddenSizes: [32], outputSize: 2, seed: 1 }));
  const name = Buffer.from(`${TAG_PREFIX}${'0'.repeat(TAG_DIGITS)}`);
  // Leaves room for keys and length prefixes; the floats must fill whole 4-byte elements.
  const rawBytes = Math.floor((targetBytes - base.length - 64) / 4) * 4;
  const tensorHead = Buffer.concat([
    Buffer.from([KEY.dims]),
    varint(rawBytes / 4),
    Buffer.from([KEY.dataType]),
    varint(FLOAT),
    Buffer.from([KEY.name]),
    varint(name.length),
    name,
    Buffer.from([KEY.rawData]),
    varint(rawBytes),
  ]);
  const tensorBytes = tensorHead.length + rawBytes;
  const initializerHead = Buffer.concat([Buffer.from([KEY.initializer]), varint(tensorBytes)]);
  const graphBytes = initializerHead.length + tensorBytes;
  const graphHead = Buffer.concat([Buffer.from([KEY.graph]), varint(graphBytes)]);
  const head = Buffer.concat([base, graphHead, initializerHead, tensorHead]);
  const tagOffset = head.indexOf(name) + TAG_PREFIX.length;

  const handle = await open(path, 'w');
  try {
    await handle.write(head);
    const chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
    for (let left = rawBytes; left > 0; left -= chunk.length) {
      const part = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(part);
      await handle.write(part);
    }
  } finally {
    await handle.close();
  }
  return {
    path,
    sizeBytes: head.length + rawBytes,
    async retag(round) {
      const file = await open(path, 'r+');
      try {
        await file.write(
          Buffer.from(String(round).padStart(TAG_DIGITS, '0')),
          0,
          TAG_DIGITS,
          tagOffset,
        );
      } finally {
        await file.close();
      }
    },
  };
}
