/**
 * The client side of the Verdict audit log: the sink every service records through (batched,
 * retried, spooled to disk while the log is away), the canonical record encoding, RFC 9162
 * hashing and proof verification, and signed checkpoint notes.
 */
export { createAuditSink } from './audit-sink';
export type {
  AuditSink,
  AuditSinkOptions,
  AuditRecordInit,
  AuditTransport,
  SinkLogger,
} from './audit-sink';
export { createAuditedAccess } from './audited-access';
export type { Actor, AuditedAccess } from './audited-access';
export { createMemoryAuditSink } from './memory-sink';
export type { MemoryAuditSink } from './memory-sink';
export { auditConfigSchema, hasAuditConfig } from './audit-config';
export type { AuditConfig, AuditedConfig } from './audit-config';
export { openSpoolFile } from './spool-file';
export type { SpoolFile, SpoolPage } from './spool-file';
export {
  encodeRecord,
  encodeRecordInto,
  maxEncodedRecordBytes,
  decodeRecord,
  RECORD_ENCODING_VERSION,
} from './record-encoding';
export { leafHash, nodeHash, EMPTY_ROOT, HASH_BYTES } from './merkle-hash';
export {
  verifyInclusion,
  verifyConsistency,
  createRootAccumulator,
  rootOfLeaves,
} from './merkle-verify';
export type { ProofFailure, RootAccumulator } from './merkle-verify';
export {
  createNoteSigner,
  parseVerifierKey,
  openNote,
  openCheckpoint,
  formatCheckpoint,
  parseCheckpoint,
} from './signed-note';
export type { NoteSigner, NoteVerifier, CheckpointBody } from './signed-note';
export { verifyLog } from './verify-log';
export type { AuditReader, VerifyLogOptions, VerifyReport } from './verify-log';
