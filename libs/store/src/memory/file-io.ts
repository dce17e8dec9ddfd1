import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LOG_HEADER } from './log-codec';

/** True for a file cut short while its header was being written. */
export function isPrefixOfHeader(data: Buffer): boolean {
  return (
    data.byteLength < LOG_HEADER.byteLength && LOG_HEADER.subarray(0, data.byteLength).equals(data)
  );
}

/** Creates (or replaces) a file with the given content, durably: data, then directory. */
export async function writeNewFile(path: string, chunks: readonly Buffer[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const chunk of chunks) {
      await writeFully(handle, chunk);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
}

/** Writes all of `data`, however many calls the OS needs. */
export async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const { bytesWritten } = await handle.write(data, written, data.byteLength - written);
    written += bytesWritten;
  }
}

/** Makes a rename or a file creation in `directory` durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
