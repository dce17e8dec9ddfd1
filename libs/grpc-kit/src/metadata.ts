import type { Metadata } from '@grpc/grpc-js';

/** The text entries of gRPC metadata as a plain record (binary `-bin` entries left out). */
export function metadataToRecord(metadata: Metadata): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') record[key] = value;
  }
  return record;
}
