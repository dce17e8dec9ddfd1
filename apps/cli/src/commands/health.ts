import { createClient } from '@verdict/grpc-kit';
import { health } from '@verdict/proto';
import type { CommandResult } from './command';
import { developerTransport } from './developer-transport';

export const HEALTH_USAGE = `verdict health [--address 127.0.0.1:50051] [--service NAME] [--pki .verdict/pki]

Calls grpc.health.v1.Health/Check over mutual TLS with the local user's client certificate
and prints the status; exits 0 only when it is SERVING.`;

export async function healthCommand(flags: {
  address?: string;
  service?: string;
  pki?: string;
}): Promise<CommandResult> {
  const client = createClient(health.Health, {
    address: flags.address ?? '127.0.0.1:50051',
    transport: developerTransport(flags.pki),
    defaultTimeoutMs: 5000,
  });
  try {
    const response = await client.check({ service: flags.service ?? '' });
    const status = health.HealthCheckResponse_ServingStatus[response.status];
    process.stdout.write(
      `${flags.address ?? '127.0.0.1:50051'} ${flags.service || '(server)'}: ${status}\n`,
    );
    return {
      exitCode: response.status === health.HealthCheckResponse_ServingStatus.SERVING ? 0 : 1,
    };
  } finally {
    client.close();
  }
}
