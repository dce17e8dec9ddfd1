/**
 * The floor of bench/registry, run as its own process like the registry: a grpc-js server over
 * the same mutual TLS that copies bytes between a gRPC stream and a file, with no encryption,
 * hashing or validation. Upload writes the stream to a file and fsyncs it (the registry fsyncs
 * too); Download streams that file back in chunks. Prints `listening <port>` when ready.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Server,
  type ServerReadableStream,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { DEFAULT_MAX_MESSAGE_BYTES, serverCredentials } from '@verdict/grpc-kit';

/** Bytes per Download message; bench/registry sets the same for the registry's side. */
const CHUNK_BYTES = Number(process.env.BARE_CHUNK_BYTES ?? 1024 * 1024);
const DIR = process.env.BARE_DIR!;
const identity = (buffer: Buffer) => buffer;

async function upload(call: ServerReadableStream<Buffer, Buffer>, done: sendUnaryData<Buffer>) {
  const handle = await open(join(DIR, 'bare.bin'), 'w');
  let bytes = 0;
  try {
    for await (const chunk of call as AsyncIterable<Buffer>) {
      await handle.write(chunk, 0, chunk.length, bytes);
      bytes += chunk.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  const answer = Buffer.alloc(8);
  answer.writeBigUInt64BE(BigInt(bytes));
  done(null, answer);
}

async function download(call: ServerWritableStream<Buffer, Buffer>) {
  for await (const chunk of createReadStream(join(DIR, 'bare.bin'), {
    highWaterMark: CHUNK_BYTES,
  })) {
    if (!call.write(chunk)) await new Promise((resolve) => call.once('drain', resolve));
  }
  call.end();
}

const server = new Server({
  'grpc.max_receive_message_length': DEFAULT_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': DEFAULT_MAX_MESSAGE_BYTES,
});
server.register(
  '/bench.Bare/Upload',
  (call: ServerReadableStream<Buffer, Buffer>, done: sendUnaryData<Buffer>) => {
    upload(call, done).catch((error: Error) => done(error));
  },
  identity,
  identity,
  'clientStream',
);
server.register(
  '/bench.Bare/Download',
  (call: ServerWritableStream<Buffer, Buffer>) => {
    download(call).catch((error: Error) => call.destroy(error));
  },
  identity,
  identity,
  'serverStream',
);
server.bindAsync(
  '127.0.0.1:0',
  serverCredentials({
    mode: 'mtls',
    caFile: process.env.BARE_CA_FILE!,
    certFile: process.env.BARE_CERT_FILE!,
    keyFile: process.env.BARE_KEY_FILE!,
  }),
  (error, port) => {
    if (error) throw error;
    process.stdout.write(`listening ${port}\n`);
  },
);
