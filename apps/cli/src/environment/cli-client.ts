import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import {
  createClient,
  type GenService,
  type GenServiceMethods,
  type TypedClient,
} from '@verdict/grpc-kit';
import { clientPkiFiles } from './client-pki';
import { STATE_FOLDER } from './verdict-home';

/** How a command calls a service. */
export interface CliClientOptions {
  /** `host:port`. */
  address: string;
  /**
   * Folder with the local user's certificate (see {@link clientPkiFiles}); the program resolves
   * it from `--pki`, the environment or the state folder before a command runs.
   * @default `.verdict/pki` under the working directory
   */
  pkiDir?: string;
  /** Deadline of each call; 0 for none. @default 30000 */
  defaultTimeoutMs?: number;
}

/**
 * The name a loopback address's certificate carries: the dev PKI issues every service
 * certificate for DNS `localhost` as well as IP 127.0.0.1.
 */
export const LOOPBACK_SERVER_NAME = 'localhost';

/** `127.0.0.1:50051` -> `127.0.0.1`, `[::1]:50051` -> `::1`. */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed !== null) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon === -1 ? address : address.slice(0, colon);
}

/** Whether `host` is an IP literal of this machine's loopback interface. */
export function isLoopbackIp(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1');
}

/**
 * grpc-js sends the target host as the TLS server name; for an IP literal that is what RFC 6066
 * forbids and Node warns about (DEP0123) on every call. For a loopback IP the server is this
 * machine, so the name is the one the dev certificates carry and are checked against instead.
 */
export function serverNameOptions(address: string): Record<string, string> {
  return isLoopbackIp(hostOf(address))
    ? { 'grpc.ssl_target_name_override': LOOPBACK_SERVER_NAME }
    : {};
}

/** A kit client of `service` at `address` as the local user; the PKI files are checked first. */
export function cliClient<S extends GenServiceMethods>(
  service: GenService<S>,
  options: CliClientOptions,
): TypedClient<S> {
  return createClient(service, {
    address: options.address,
    transport: clientPkiFiles(resolve(options.pkiDir ?? join(STATE_FOLDER, 'pki'))),
    defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000,
    channelOptions: serverNameOptions(options.address),
  });
}
