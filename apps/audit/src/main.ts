import { runServiceProcess } from '@verdict/grpc-kit';
import { AUDIT_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupAudit } from './service';

// The tamper-evident audit log: a Merkle tree over append-only segment files.
runServiceProcess({ name: 'audit', readConfig, permissions: AUDIT_PERMISSIONS, setup: setupAudit });
