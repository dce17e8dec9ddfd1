import { runServiceProcess, unimplementedService } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import { AUDIT_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';

// The tamper-evident audit log. Until its issue lands, the API answers UNIMPLEMENTED.
runServiceProcess({
  name: 'audit',
  readConfig,
  permissions: AUDIT_PERMISSIONS,
  async setup({ server }) {
    server.add(auditV1.AuditService, unimplementedService(auditV1.AuditService));
  },
});
