/**
 * The processes of bench/router besides the model server (model-server-processes.ts starts
 * that): the Verdict router from its sources under tsx, nginx as the C proxy baseline, and the
 * load generator; plus the CPU time of a process tree from /proc.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { childPids, httpReady, launch } from '@verdict/process';
import {
  START_TIMEOUT_MS,
  freePort,
  measured,
  procCpuUs,
  readyPort,
  startLineProtocol,
  type MeasuredProcess,
} from './model-server-processes';
import type { ProbeCommand, ProbeResult, RouterLoadCommand, RouterLoadResult } from './router-load';
import type { NodeFloorSettings } from './router-node-floor';

const REPO_ROOT = resolve(__dirname, '..', '..');
/** How often nginx's worker list is read while it forks them. */
const WORKER_POLL_MS = 100;

/** mTLS files of one side. */
export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Settings of a Verdict service child started from its sources. */
interface ServiceSettings extends TlsFiles {
  readonly dir: string;
  readonly policyFile: string;
  /** Extra node options, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

/** Settings of the router child. */
export interface RouterSettings extends ServiceSettings {
  readonly tableFile: string;
  /** host:port of the audit service; without it audit records wait in the router's spool. */
  readonly auditAddress?: string;
}

/**
 * Starts `apps/<name>/src/main.ts` under tsx with a config file (ports, mTLS, policy, data
 * directory plus `extra`) and waits for its `/readyz`.
 */
async function startService(
  name: string,
  settings: ServiceSettings,
  extra: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<MeasuredProcess> {
  const grpcPort = await freePort();
  const opsPort = await freePort();
  const configFile = join(settings.dir, `${name}.yaml`);
  await writeFile(
    configFile,
    JSON.stringify({
      grpc: { port: grpcPort },
      ops: { port: opsPort },
      tls: {
        mode: 'mtls',
        caFile: settings.caFile,
        certFile: settings.certFile,
        keyFile: settings.keyFile,
      },
      policyFile: settings.policyFile,
      dataDir: join(settings.dir, `${name}-data`),
      log: { level: 'warn' },
      shutdownGraceMs: 1000,
      ...extra,
    }),
  );
  const child = await launch({
    name,
    entry: 'src/main.ts',
    nodeArgs: settings.nodeArgs,
    cwd: join(REPO_ROOT, 'apps', name),
    env: { VERDICT_CONFIG_FILE: configFile, ...env },
    stdout: 'ignore',
    stderr: 'inherit',
    ready: { probe: httpReady(`http://127.0.0.1:${opsPort}/readyz`), timeoutMs: START_TIMEOUT_MS },
  });
  return measured(child, `127.0.0.1:${grpcPort}`);
}

/**
 * Starts `apps/router/src/main.ts` with a static routing table file and waits for `/readyz`
 * (ready once the table is loaded and a pool is healthy).
 */
export function startRouter(settings: RouterSettings): Promise<MeasuredProcess> {
  return startService(
    'router',
    settings,
    settings.auditAddress === undefined ? {} : { audit: { address: settings.auditAddress } },
    { VERDICT_ROUTING_TABLE_FILE: settings.tableFile },
  );
}

/** Starts the audit service (`apps/audit/src/main.ts`), which the router sends its records to. */
export function startAuditService(settings: ServiceSettings): Promise<MeasuredProcess> {
  return startService('audit', settings, {});
}

/** Starts the bare grpc-js proxy (router-node-floor.ts) and waits for its `ready <port>` line. */
export async function startNodeFloor(
  settings: NodeFloorSettings,
  nodeArgs: readonly string[] = [],
): Promise<MeasuredProcess> {
  const child = await launch({
    name: 'grpc-js proxy',
    entry: join(__dirname, 'router-node-floor.ts'),
    nodeArgs,
    args: [JSON.stringify(settings)],
    cwd: join(REPO_ROOT, 'bench'),
    stderr: 'inherit',
    ready: { line: (line) => line.startsWith('ready '), timeoutMs: START_TIMEOUT_MS },
  });
  return measured(child, `127.0.0.1:${readyPort(child)}`);
}

/** The nginx binary, or undefined when it is not installed. */
export function findNginx(): string | undefined {
  for (const candidate of [
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/nginx/sbin/nginx',
  ])
    if (existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : undefined;
}

/** Settings of the nginx baseline. */
export interface NginxSettings extends TlsFiles {
  readonly binary: string;
  readonly dir: string;
  /** The model server both upstreams point at. */
  readonly upstream: string;
  /** Header the split is keyed on, e.g. `x-verdict-unit`. */
  readonly unitHeader: string;
  readonly workerProcesses: number;
}

/**
 * nginx as a user would put it in front of model servers: HTTP/2 with mutual TLS towards the
 * clients (`ssl_verify_client on`), `split_clients` on the unit header choosing between two
 * upstream names 50/50, `grpc_pass grpcs://` with its own client certificate towards the model
 * server (verified against the CA), upstream keepalive so connections are reused.
 */
export function nginxConfig(settings: NginxSettings & { port: number }): string {
  const variable = `$http_${settings.unitHeader.toLowerCase().replace(/-/g, '_')}`;
  const temp = (name: string) => join(settings.dir, `nginx-${name}`);
  return `# bench/router: nginx grpc_pass baseline (generated)
${process.getuid?.() === 0 ? 'user root root;\n' : ''}worker_processes ${settings.workerProcesses};
daemon off;
master_process on;
pid ${join(settings.dir, 'nginx.pid')};
error_log ${join(settings.dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  # Long-lived connections on both hops, as gRPC clients and the router keep them (nginx's
  # default of 1000 requests per connection would GOAWAY the load generator mid-run).
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path ${temp('client-body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  split_clients "${variable}" $verdict_variant {
    50% variant_a;
    *   variant_b;
  }
  upstream variant_a {
    server ${settings.upstream};
    keepalive 256;
    keepalive_requests 100000000;
  }
  upstream variant_b {
    server ${settings.upstream};
    keepalive 256;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:${settings.port} ssl http2;
    ssl_protocols TLSv1.3;
    ssl_certificate ${settings.certFile};
    ssl_certificate_key ${settings.keyFile};
    ssl_client_certificate ${settings.caFile};
    ssl_verify_client on;
    http2_max_concurrent_streams 256;
    location / {
      grpc_pass grpcs://$verdict_variant;
      grpc_ssl_certificate ${settings.certFile};
      grpc_ssl_certificate_key ${settings.keyFile};
      grpc_ssl_trusted_certificate ${settings.caFile};
      grpc_ssl_verify on;
      grpc_ssl_name localhost;
      grpc_ssl_protocols TLSv1.3;
      grpc_ssl_session_reuse on;
      add_header x-verdict-variant $verdict_variant always;
    }
  }
}
`;
}

/**
 * Starts nginx (master and workers) and waits until it accepts connections. Its CPU time is that
 * of the master and all workers together.
 */
export async function startNginx(settings: NginxSettings): Promise<MeasuredProcess> {
  const port = await freePort();
  const configFile = join(settings.dir, 'nginx.conf');
  const errorLog = join(settings.dir, 'nginx-error.log');
  await writeFile(configFile, nginxConfig({ ...settings, port }));
  const logTail = () =>
    existsSync(errorLog) ? `; ${errorLog}:\n${readFileSync(errorLog, 'utf8').slice(-2000)}` : '';
  const child = await launch({
    name: 'nginx',
    executable: settings.binary,
    args: ['-p', settings.dir, '-e', errorLog, '-c', configFile],
    stdout: 'inherit',
    stderr: 'inherit',
    ready: { probe: () => accepts(port), timeoutMs: START_TIMEOUT_MS },
  }).catch((error: Error) => Promise.reject(new Error(`${error.message}${logTail()}`)));
  const master = child.pid;
  // The workers are forked once at start-up; read their list once they are all there.
  let workers: number[] = [];
  for (let tries = 0; tries < 50; tries++) {
    workers = childPids(master);
    if (workers.length >= settings.workerProcesses) break;
    await delay(WORKER_POLL_MS);
  }
  return {
    ...measured(child, `127.0.0.1:${port}`),
    // SIGTERM (the default stop) is nginx's fast shutdown of master and workers.
    cpuUs: () => [master, ...workers].reduce((sum, pid) => sum + procCpuUs(pid), 0),
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** The load generator process: one command at a time. */
export interface RouterLoadGenerator {
  run(command: RouterLoadCommand): Promise<RouterLoadResult>;
  probe(command: ProbeCommand): Promise<ProbeResult>;
  stop(): Promise<void>;
}

/** Starts the load generator (router-load.ts) in its own process. */
export function startRouterLoadGenerator(): RouterLoadGenerator {
  const child = startLineProtocol(join(__dirname, 'router-load.ts'));
  return {
    run: (command) => child.send<RouterLoadResult>(command),
    probe: (command) => child.send<ProbeResult>(command),
    stop: () => child.end(),
  };
}
