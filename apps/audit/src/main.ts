import { runServiceProcess } from '@verdict/grpc-kit';
import { AUDIT_PERMISSIONS } from '@verdict/security';
import { setupAudit } from './audit-service';
import { readConfig } from './config';

// The tamper-evident audit log: a Merkle tree over append-only segment files.
runServiceProcess({ name: 'audit', readConfig, permissions: AUDIT_PERMISSIONS, setup: setupAudit });
