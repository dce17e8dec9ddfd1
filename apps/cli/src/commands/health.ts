import { health } from '@verdict/proto';
import type { CommandResult } from './command';
import { cliClient } from '../environment/cli-client';
import { describeRpcFailure } from './model-client';

/** Flags of `verdict health` for one server. */
export interface HealthFlags {
  address?: string;
  /** The health service name to ask about; empty for the whole server. */
  service?: string;
  pki?: string;
  /** What to call the server in the output, e.g. `registry`. @default the address */
  label?: string;
}

/**
 * Calls grpc.health.v1.Health/Check over mutual TLS with the local user's certificate and prints
 * one line; exit 0 only when it is SERVING, 1 otherwise (an unreachable server included).
 */
export async function healthCommand(
  flags: HealthFlags,
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  const address = flags.address ?? '127.0.0.1:50051';
  const name = `${flags.label === undefined ? address : `${flags.label} (${address})`} ${flags.service || '(server)'}`;
  const client = cliClient(health.Health, { address, pkiDir: flags.pki, defaultTimeoutMs: 5000 });
  try {
    const response = await client.check({ service: flags.service ?? '' });
    output.write(`${name}: ${health.HealthCheckResponse_ServingStatus[response.status]}\n`);
    return {
      exitCode: response.status === health.HealthCheckResponse_ServingStatus.SERVING ? 0 : 1,
    };
  } catch (error) {
    const failure = describeRpcFailure(error);
    if (failure === undefined) throw error;
    output.write(`${name}: ${failure}\n`);
    return { exitCode: 1 };
  } finally {
    client.close();
  }
}
