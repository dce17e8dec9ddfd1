import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { writeModelRepository } from '@verdict/model-zoo';
import {
  DEFAULT_STOP_GRACE_MS,
  httpReady,
  httpStatus,
  spawnProcess,
  stopAll,
  waitReady,
  type LaunchedProcess,
} from '@verdict/process';
import { devPolicyYaml, initDevPki, type DevPki } from '@verdict/security';
import { connectExperiments } from './commands/analyzer-client';
import { connectDrift } from './commands/drift';
import { seedSpamProfiles } from './commands/drift-seed';
import { connectRegistry } from './commands/model-client';
import { seedDemoRegistry, type DemoRegistrySeed } from './demo-registry';
import { seedDemoExperiment, type DemoSeed } from './demo-experiment';
import { formatLogLine, linePrefix } from './log-lines';
import { describeRpcFailure } from './commands/model-client';
import { STACK_SERVICES, type StackService } from './services';

export interface DevStackOptions {
  /** State directory: pki/, data/<service>/ and policy.yaml live here. */
  dir: string;
  /** Port overrides per service name (the e2e harness passes free ports). */
  ports?: Readonly<Record<string, { grpc: number; ops: number }>>;
  /** Where the services' prefixed log lines go. */
  output: NodeJS.WritableStream;
  /** Colour the prefixes (when output is a terminal). @default false */
  colour?: boolean;
  /** How long to wait for every service to report ready. @default 60000 */
  readyTimeoutMs?: number;
  /**
   * Once every service is ready, create and start the demo experiment on `spam` unless an
   * experiment on `spam` exists already.
   * @default true
   */
  seedDemo?: boolean;
  /** Called when a service exits while the stack runs (not during stop). */
  onUnexpectedExit?: (service: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** A service process of a running stack. */
export interface RunningService {
  readonly name: string;
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly process: ChildProcess;
}

export interface DevStack {
  readonly pki: DevPki;
  readonly services: readonly RunningService[];
  /** The demo experiment, when seeding was asked for and the analyzer answered. */
  readonly demo?: DemoSeed;
  /** Why seeding failed (the analyzer's or registry's answer); the stack runs on without the demo. */
  readonly demoError?: string;
  /** Whether spam 1 and 2 were pushed to the registry now (false: it had them). */
  readonly demoRegistry?: DemoRegistrySeed;
  /** The analyzer's dashboard: its sign-in link carries the stack's token (`<dir>/dashboard-token`). */
  readonly dashboard: { readonly port: number; readonly token: string };
  /**
   * SIGTERM to every service, once, then waits for each to exit (SIGKILL after `graceMs`). A
   * SIGINT or SIGTERM to this process while it waits (a second Ctrl-C) forces them out.
   */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;

/** Sets up what is missing (PKI, policy, data dirs), then starts the five services and waits until they are ready. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const pki = await initDevPki({ dir: join(options.dir, 'pki') });
  const policyFile = join(options.dir, 'policy.yaml');
  await ensurePolicy(policyFile, devPolicyYaml({ trustDomain: pki.trustDomain }), options.output);
  const modelsDir = await ensureModelRepository(options.dir, options.output);
  const dashboardToken = await ensureDashboardToken(options.dir);
  const width = Math.max(...STACK_SERVICES.map((service) => service.name.length));
  const running: RunningService[] = [];
  const launched: LaunchedProcess[] = [];
  let stopping = false;

  const stop = async (graceMs = DEFAULT_STOP_GRACE_MS) => {
    stopping = true;
    await stopAll(launched, { graceMs, forceOn: ['SIGINT', 'SIGTERM'] });
  };

  const portsOf = (service: StackService) =>
    options.ports?.[service.name] ?? { grpc: service.grpcPort, ops: service.opsPort };
  const addressOf = (name: string) =>
    `127.0.0.1:${portsOf(STACK_SERVICES.find((service) => service.name === name)!).grpc}`;
  // Tests run stacks on free ports: their dashboards take a free port too.
  const dashboardPort = options.ports === undefined ? DEV_DASHBOARD_PORT : 0;
  const wiring = stackWiring(addressOf, { port: dashboardPort, token: dashboardToken });

  try {
    for (const [index, service] of STACK_SERVICES.entries()) {
      const ports = portsOf(service);
      const dataDir = join(options.dir, 'data', service.name);
      await mkdir(dataDir, { recursive: true });
      const prefix = linePrefix(service.name, index, width, options.colour ?? false);
      const child = spawnProcess({
        name: service.name,
        entry: require.resolve(service.packageName),
        env: {
          ...serviceEnv(service, ports, pki, policyFile, dataDir),
          VERDICT_MODELS_REPOSITORY: modelsDir,
          ...wiring[service.name],
        },
        // The IPC channel is how a service notices that verdict dev died (even by SIGKILL): it
        // closes, and the service drains and exits instead of living on as an orphan.
        ipc: true,
        // Its own process group: a terminal's Ctrl-C reaches verdict dev only, and the service
        // gets exactly one signal, from stop(). Sharing the terminal's group, each service got
        // the terminal's SIGINT and then stop()'s SIGTERM, and took the second as "force".
        detached: true,
        onLine: (line) => options.output.write(`${prefix} ${formatLogLine(line)}\n`),
      });
      // `exited` never rejects: nothing to catch.
      void child.exited.then(({ code, signal }) => {
        if (!stopping) options.onUnexpectedExit?.(service.name, code, signal);
      });
      launched.push(child);
      running.push({
        name: service.name,
        grpcPort: ports.grpc,
        opsPort: ports.ops,
        process: child.child,
      });
    }
    await Promise.all(
      running.map((service, index) =>
        waitReady(launched[index], {
          probe: httpReady(`http://127.0.0.1:${service.opsPort}/readyz`),
          timeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
          pollMs: READY_POLL_MS,
        }),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const seeded = options.seedDemo === false ? {} : await seedDemo(addressOf, pki, modelsDir);
  try {
    // A service may report ready for a moment and then not (the router before its first table
    // and healthy pool), and seeding changes the routing table: only a pass in which every
    // service answers ready at once counts.
    await waitAllReady(running, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pki,
    services: running,
    stop,
    dashboard: { port: dashboardPort, token: dashboardToken },
    ...seeded,
  };
}

/** Seeds the demo registry model and experiment; a refusal is reported, not thrown. */
async function seedDemo(
  addressOf: (service: string) => string,
  pki: DevPki,
  modelsDir: string,
): Promise<Pick<DevStack, 'demo' | 'demoRegistry' | 'demoError'>> {
  const registry = connectRegistry({ address: addressOf('registry'), pki: pki.dir });
  const analyzer = connectExperiments({ address: addressOf('experiment-analyzer'), pki: pki.dir });
  const drift = connectDrift({ address: addressOf('experiment-analyzer'), pki: pki.dir });
  try {
    const demoRegistry = await seedDemoRegistry(registry, modelsDir);
    const demo = await seedDemoExperiment(analyzer);
    // Drift of the spam models is watched against their training data (the same profile again is a no-op).
    await seedSpamProfiles(drift);
    return { demo, demoRegistry };
  } catch (error) {
    return { demoError: describeRpcFailure(error) ?? (error as Error).message };
  } finally {
    registry.close();
    analyzer.close();
    drift.close();
  }
}

/** Where `npm start` serves the analyzer's dashboard: https://127.0.0.1:8443/. */
export const DEV_DASHBOARD_PORT = 8443;

/**
 * How the services find each other, as environment variables per service: everyone sends
 * audit records to the audit service (spooling while it is away); the router follows the
 * analyzer's routing tables and sends it events; the analyzer resolves aliases and moves them
 * in the registry and routes the pool "default" (region "local") to the model server. The
 * model server copies every served row to the analyzer's drift detection (production's default
 * is 5%; a laptop's traffic is small) and the analyzer serves its dashboard.
 */
export function stackWiring(
  addressOf: (service: string) => string,
  dashboard: { port: number; token: string } = { port: DEV_DASHBOARD_PORT, token: '' },
): Record<string, Record<string, string>> {
  const audit = { VERDICT_AUDIT_ADDRESS: addressOf('audit') };
  return {
    audit,
    registry: audit,
    'model-server': {
      ...audit,
      VERDICT_DRIFT_ANALYZER_ADDRESS: addressOf('experiment-analyzer'),
      VERDICT_DRIFT_SAMPLE_RATE: '1',
    },
    'experiment-analyzer': {
      ...audit,
      VERDICT_DASHBOARD_ENABLED: 'true',
      VERDICT_DASHBOARD_PORT: String(dashboard.port),
      VERDICT_DASHBOARD_TOKENS: dashboard.token,
      VERDICT_DRIFT_WINDOW_ROWS: '200',
      VERDICT_REGISTRY_ADDRESS: addressOf('registry'),
      VERDICT_POOLS: JSON.stringify([
        { name: 'default', region: 'local', endpoints: [addressOf('model-server')] },
      ]),
    },
    router: { ...audit, VERDICT_ROUTING_ANALYZER_ADDRESS: addressOf('experiment-analyzer') },
  };
}

/**
 * The token of the dashboard's sign-in link, made once per state directory and kept in
 * `<dir>/dashboard-token` (readable by its owner only).
 */
async function ensureDashboardToken(dir: string): Promise<string> {
  const file = join(dir, 'dashboard-token');
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The environment a service reads its configuration from (see each app's config.ts). */
function serviceEnv(
  service: StackService,
  ports: { grpc: number; ops: number },
  pki: DevPki,
  policyFile: string,
  dataDir: string,
): Record<string, string> {
  const identity = pki.services[service.name];
  return {
    VERDICT_GRPC_HOST: '127.0.0.1',
    VERDICT_GRPC_PORT: String(ports.grpc),
    VERDICT_OPS_HOST: '127.0.0.1',
    VERDICT_OPS_PORT: String(ports.ops),
    VERDICT_TLS_MODE: 'mtls',
    VERDICT_TLS_CA_FILE: pki.caCert,
    VERDICT_TLS_CERT_FILE: identity.cert,
    VERDICT_TLS_KEY_FILE: identity.key,
    VERDICT_TRUST_DOMAIN: pki.trustDomain,
    VERDICT_POLICY_FILE: policyFile,
    VERDICT_DATA_DIR: dataDir,
  };
}

/** First line of the policy devPolicyYaml generates; a file starting otherwise is the user's own. */
const GENERATED_POLICY_MARK = '# RBAC policy of the Verdict dev stack (generated';

/**
 * Writes the dev RBAC policy when it is missing, and brings a generated one up to date when a
 * newer Verdict grants more (the old file is kept as policy.yaml.previous). A policy that does
 * not start with the generated header is the user's and is left alone.
 */
export async function ensurePolicy(
  file: string,
  generated: string,
  output: NodeJS.WritableStream,
): Promise<void> {
  let current: string | undefined;
  try {
    current = await readFile(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === generated) return;
  if (current !== undefined) {
    if (!current.startsWith(GENERATED_POLICY_MARK)) return;
    await writeFile(`${file}.previous`, current, { mode: 0o644 });
    output.write(
      `verdict dev: ${file} updated to this version's generated policy (the old one is ${file}.previous)\n`,
    );
  }
  await writeFile(file, generated, { mode: 0o644 });
}

/**
 * The demo models the model server serves (spam:1, spam:2, mlp:1), written once under
 * `<dir>/models`; model-zoo caches trained spam models under the OS temp folder, keyed by their
 * training settings, so later stacks (and the e2e tests) skip training. Written to a temporary
 * folder and renamed, so an interrupted first start leaves nothing half-written behind.
 */
async function ensureModelRepository(dir: string, output: NodeJS.WritableStream): Promise<string> {
  const modelsDir = join(dir, 'models');
  if (await exists(modelsDir)) return modelsDir;
  output.write(
    `verdict dev: writing the demo model repository to ${modelsDir} (the first run trains spam:1 and spam:2)\n`,
  );
  const staging = `${modelsDir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await writeModelRepository(staging);
  await rename(staging, modelsDir);
  return modelsDir;
}

/** Waits for one poll in which every service's /readyz answers 200. */
async function waitAllReady(services: readonly RunningService[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let notReady: string[] = [];
  while (Date.now() < deadline) {
    const statuses = await Promise.all(
      services.map((service) => httpStatus(`http://127.0.0.1:${service.opsPort}/readyz`)),
    );
    notReady = services.filter((_, i) => statuses[i] !== 200).map((service) => service.name);
    if (notReady.length === 0) return;
    await delay(READY_POLL_MS);
  }
  throw new Error(
    `not ready together within ${timeoutMs} ms: ${notReady.join(', ')} (see their log lines above)`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
