/**
 * bench/router: what the router adds to a unary ModelInfer call, held against (a) clients
 * calling the model server directly and (b) nginx `grpc_pass` with `split_clients` doing a 50/50
 * split on the unit header between two upstream names (both the same model server), in one run.
 * (c) The Verdict router serves a 50/50 A/B table over two versions of a 64-256-8 MLP on the
 * same model server. Every side speaks the same mutual TLS with dev-PKI certificates, towards
 * the clients and towards the model server. Load comes from a separate process
 * (router-load.ts) at 1 in flight (latency) and 64 in flight (throughput ceiling), every call
 * with its own unit id; sides alternate round by round; CPU per request of the proxy (router
 * process, or nginx master and workers) and of the model server comes from /proc.
 *
 * `--without-router` measures (a) and (b) only, for when the router cannot start;
 * `--profile-router=<dir>` writes the V8 CPU profiles (`--cpu-prof`) of the router and of the
 * bare grpc-js proxy, when it runs, into `<dir>`;
 * `--without-audit` runs the router without the audit service (records wait in its spool);
 * `--with-node-floor` adds a fourth side, a bare grpc-js proxy (router-node-floor.ts), to tell
 * what Node and grpc-js cost from what the router's own code costs.
 */
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary, toJsonString } from '@bufbuild/protobuf';
import { buildMlp, type MlpOptions } from '@verdict/model-zoo';
import { experimentsV1, inference } from '@verdict/proto';
import { initDevPki } from '@verdict/security';
import { startModelServer, type MeasuredProcess } from './model-server-processes';
import type { RouterLoadResult } from './router-load';
import {
  findNginx,
  startAuditService,
  startNginx,
  startNodeFloor,
  startRouter,
  startRouterLoadGenerator,
  type RouterLoadGenerator,
} from './router-processes';
import { quantile, summarize } from './stats';

/** The transport-bound model of BENCHMARKS.md, in two versions (different weights). */
const MLP: MlpOptions = { inputSize: 64, hiddenSizes: [256], outputSize: 8, seed: 1 };
const MODEL = 'mlp';
const MODEL_CONFIG_YAML =
  'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 0\n' +
  'instance_group:\n  - count: 1\n    kind: KIND_CPU\nintra_op_thread_count: 1\n' +
  'version_policy:\n  all: {}\n';
const POLICY_YAML = `
roles:
  caller: [inference:invoke]
  auditor: [audit:append]
bindings:
  - principals:
      - 'spiffe://verdict.local/ns/default/sa/loadgen'
      - 'spiffe://verdict.local/ns/default/sa/router'
      - 'spiffe://verdict.local/ns/default/sa/nginx'
    roles: [caller]
  - principals: ['spiffe://verdict.local/ns/default/sa/router']
    roles: [auditor]
`;
const UNIT_HEADER = 'x-verdict-unit';
const VARIANT_HEADER = 'x-verdict-variant';
const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const IN_FLIGHT = [1, 64] as const;
/** One nginx worker: the router is one process with one JS thread, so like for like. */
const NGINX_WORKERS = 1;
const SPREAD_WARNING = 0.2;
const GOALS = {
  addedP50VsNginx: 1.5,
  cpuPerReqVsNginx: 2,
  cpuUsPerReq: 100,
  throughputVsNginx: 0.9,
};

interface Mode {
  rounds: number;
  /** Untimed load on each side once before the rounds, so every process is warm (JIT, TLS). */
  prewarmMs: number;
  warmupMs: number;
  durationMs: number;
  /** Time with no load over which each process's idle CPU is read, after as long to settle. */
  idleMs: number;
}
const QUICK: Mode = { rounds: 3, prewarmMs: 1000, warmupMs: 200, durationMs: 1000, idleMs: 1000 };
const FULL: Mode = { rounds: 5, prewarmMs: 3000, warmupMs: 500, durationMs: 4000, idleMs: 3000 };

const log = (message: string) => process.stderr.write(`bench/router: ${message}\n`);

type SideName = 'direct' | 'nginx' | 'router' | 'grpc_js_proxy';

/** One side at one concurrency in one round. */
interface SideRun {
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  /** CPU per request of the proxy process(es); undefined for the direct side. */
  proxyCpuUs?: number;
  modelServerCpuUs: number;
  /** CPU per request of the audit service (router side, when it has one). */
  auditCpuUs?: number;
  counted: Record<string, number>;
}

function seededRow(length: number, seed: number): Float32Array {
  const row = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    row[i] = state / 2 ** 32 - 0.5;
  }
  return row;
}

function requestMessage(): Uint8Array {
  return toBinary(
    inference.ModelInferRequestSchema,
    create(inference.ModelInferRequestSchema, {
      modelName: MODEL,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputSize)] }],
      rawInputContents: [new Uint8Array(seededRow(MLP.inputSize, 1).buffer)],
    }),
  );
}

/** A 50/50 A/B experiment over versions 1 and 2 of the model, both on one pool. */
function routingTableJson(modelServer: string): string {
  const variant = (name: string, version: bigint, buckets: number[][], control: boolean) =>
    create(experimentsV1.RouteVariantSchema, {
      name,
      target: { case: 'version', value: version },
      pool: 'default',
      buckets: buckets.map(([start, end]) => ({ start, end })),
      control,
    });
  const table = create(experimentsV1.RoutingTableSchema, {
    version: 1n,
    pools: [{ name: 'default', region: 'local', endpoints: [modelServer] }],
    models: [
      {
        model: MODEL,
        defaultVariant: variant('default', 1n, [], true),
        experiments: [
          {
            experimentId: 'bench-ab',
            kind: experimentsV1.ExperimentKind.AB,
            enabled: true,
            salt: 'bench-ab',
            variants: [
              variant('a', 1n, [[0, 5000]], true),
              variant('b', 2n, [[5000, 10000]], false),
            ],
          },
        ],
      },
    ],
  });
  return toJsonString(experimentsV1.RoutingTableSchema, table, { prettySpaces: 2 });
}

function summarizeSide(runs: SideRun[], label: string, spreadWide: string[]) {
  const rate = summarize(runs.map((run) => run.perSecond));
  if (rate.spread > SPREAD_WARNING) spreadWide.push(label);
  const median = (pick: (run: SideRun) => number) => summarize(runs.map(pick)).median;
  const proxy = runs.every((run) => run.proxyCpuUs !== undefined)
    ? summarize(runs.map((run) => run.proxyCpuUs!))
    : undefined;
  const counted: Record<string, number> = {};
  for (const run of runs)
    for (const [key, count] of Object.entries(run.counted))
      counted[key] = (counted[key] ?? 0) + count;
  return {
    req_per_s: Math.round(rate.median),
    req_per_s_min: Math.round(rate.min),
    req_per_s_max: Math.round(rate.max),
    p50_us: Math.round(median((run) => run.p50)),
    p50_us_min: Math.round(Math.min(...runs.map((run) => run.p50))),
    p50_us_max: Math.round(Math.max(...runs.map((run) => run.p50))),
    p90_us: Math.round(median((run) => run.p90)),
    p99_us: Math.round(median((run) => run.p99)),
    ...(proxy === undefined
      ? {}
      : {
          proxy_cpu_us_per_req: round1(proxy.median),
          proxy_cpu_us_per_req_min: round1(proxy.min),
          proxy_cpu_us_per_req_max: round1(proxy.max),
        }),
    model_server_cpu_us_per_req: round1(median((run) => run.modelServerCpuUs)),
    ...(runs.every((run) => run.auditCpuUs !== undefined)
      ? { audit_service_cpu_us_per_req: round1(median((run) => run.auditCpuUs!)) }
      : {}),
    answered_by: counted,
  };
}

const round1 = (value: number) => Number(value.toFixed(1));
const round3 = (value: number) => Number(value.toFixed(3));

function ratioSummary(ratios: number[]) {
  const s = summarize(ratios);
  return { median: round3(s.median), min: round3(s.min), max: round3(s.max) };
}

/** Runs the benchmark and returns its JSON result. */
export async function runRouterBench({ quick }: { quick: boolean }): Promise<object> {
  const mode = quick ? QUICK : FULL;
  const withRouter = !process.argv.includes('--without-router');
  const withNodeFloor = process.argv.includes('--with-node-floor');
  const withAudit = withRouter && !process.argv.includes('--without-audit');
  const profileDir = process.argv
    .find((arg) => arg.startsWith('--profile-router='))
    ?.slice('--profile-router='.length);
  const profileArgs =
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const nginxBinary = findNginx();
  if (nginxBinary === undefined) {
    throw new Error(
      'nginx is not installed: bench/router compares the router with nginx grpc_pass. ' +
        'Install it (Debian: apt-get install -y nginx) and run again.',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-router-'));
  const started: Array<MeasuredProcess | RouterLoadGenerator> = [];
  try {
    const pki = await initDevPki({
      dir: join(dir, 'pki'),
      services: ['model-server', 'router', 'nginx', 'audit'],
      clientName: 'loadgen',
    });
    const tlsOf = (service: string) => ({
      caFile: pki.caCert,
      certFile: pki.services[service].cert,
      keyFile: pki.services[service].key,
    });
    const repository = join(dir, 'models');
    for (const version of [1, 2]) {
      await mkdir(join(repository, MODEL, String(version)), { recursive: true });
      await writeFile(
        join(repository, MODEL, String(version), 'model.onnx'),
        buildMlp({ ...MLP, seed: version }),
      );
    }
    await writeFile(join(repository, MODEL, 'config.yaml'), MODEL_CONFIG_YAML);
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY_YAML);
    const requestFile = join(dir, 'request.bin');
    writeFileSync(requestFile, requestMessage());

    log('starting the model server');
    const modelServer = await startModelServer({
      dir,
      repository,
      policyFile,
      ...tlsOf('model-server'),
      intraOpNumThreads: 1,
    });
    started.push(modelServer);
    log(`starting nginx (${nginxBinary}, ${NGINX_WORKERS} worker)`);
    const nginx = await startNginx({
      binary: nginxBinary,
      dir,
      upstream: modelServer.address,
      unitHeader: UNIT_HEADER,
      workerProcesses: NGINX_WORKERS,
      ...tlsOf('nginx'),
    });
    started.push(nginx);
    const targets: Partial<Record<SideName, MeasuredProcess>> = { nginx };
    let auditService: MeasuredProcess | undefined;
    if (withRouter) {
      log('starting the router with a 50/50 A/B table over mlp:1 and mlp:2');
      const tableFile = join(dir, 'routing-table.json');
      await writeFile(tableFile, routingTableJson(modelServer.address));
      if (withAudit) {
        log('starting the audit service the router sends its records to');
        auditService = await startAuditService({ dir, policyFile, ...tlsOf('audit') });
        started.push(auditService);
      }
      const router = await startRouter({
        dir,
        policyFile,
        tableFile,
        auditAddress: auditService?.address,
        ...tlsOf('router'),
        nodeArgs: profileArgs,
      });
      started.push(router);
      targets.router = router;
    }
    if (withNodeFloor) {
      log('starting the bare grpc-js proxy');
      const floor = await startNodeFloor(
        { ...tlsOf('router'), upstream: modelServer.address, unitHeader: UNIT_HEADER },
        profileArgs,
      );
      started.push(floor);
      targets.grpc_js_proxy = floor;
    }
    const load = startRouterLoadGenerator();
    started.push(load);

    const sides: SideName[] = ['direct', 'nginx'];
    if (withRouter) sides.push('router');
    if (withNodeFloor) sides.push('grpc_js_proxy');
    const addressOf = (side: SideName) =>
      side === 'direct' ? modelServer.address : targets[side]!.address;
    const measure = async (
      side: SideName,
      inFlight: number,
      warmupMs: number,
      durationMs: number,
    ): Promise<SideRun> => {
      const proxy = targets[side];
      const proxyBefore = proxy?.cpuUs();
      const serverBefore = modelServer.cpuUs();
      const audit = side === 'router' ? auditService : undefined;
      const auditBefore = audit?.cpuUs();
      const result: RouterLoadResult = await load.run({
        address: addressOf(side),
        caFile: pki.caCert,
        certFile: pki.client.cert,
        keyFile: pki.client.key,
        path: MODEL_INFER_PATH,
        messageFile: requestFile,
        inFlight,
        warmupMs,
        durationMs,
        unitHeader: UNIT_HEADER,
        countHeader: VARIANT_HEADER,
      });
      const serverCpu = modelServer.cpuUs() - serverBefore;
      const auditCpu = audit === undefined ? undefined : audit.cpuUs() - auditBefore!;
      const proxyCpu = proxy === undefined ? undefined : proxy.cpuUs() - proxyBefore!;
      if (result.failures > 0)
        throw new Error(
          `${side}, ${inFlight} in flight: ${result.failures} of ${result.failures + result.requests} calls failed, first: ${result.firstFailure}`,
        );
      if (result.requests === 0) throw new Error(`${side}, ${inFlight} in flight: no calls`);
      return {
        perSecond: result.requests / result.seconds,
        p50: quantile(result.latenciesUs, 0.5),
        p90: quantile(result.latenciesUs, 0.9),
        p99: quantile(result.latenciesUs, 0.99),
        proxyCpuUs: proxyCpu === undefined ? undefined : proxyCpu / result.allRequests,
        modelServerCpuUs: serverCpu / result.allRequests,
        auditCpuUs: auditCpu === undefined ? undefined : auditCpu / result.allRequests,
        counted: result.counted,
      };
    };

    // Every side must refuse a client without a certificate: the same mutual TLS everywhere.
    const mtlsChecks: Record<string, string> = {};
    for (const side of sides) {
      const probe = await load.probe({
        probe: 'without-client-certificate',
        address: addressOf(side),
        caFile: pki.caCert,
        path: MODEL_INFER_PATH,
        messageFile: requestFile,
      });
      if (probe.succeeded)
        throw new Error(`${side} answered a client without a certificate: not mutual TLS`);
      mtlsChecks[side] = `refused a client without a certificate (${probe.detail})`;
    }
    log(`every side refuses a client without a certificate`);

    log(`warming every side up: ${mode.prewarmMs} ms at 64 in flight, ${mode.prewarmMs} ms at 1`);
    for (const side of sides) {
      await measure(side, 64, 0, mode.prewarmMs);
      await measure(side, 1, 0, mode.prewarmMs);
    }

    // CPU the processes burn with no calls at all (timers, health watches, file polling, event
    // and audit flushes): spread over the calls of a run, it is part of every per-call figure.
    const idle: Record<string, number> = {};
    const idleProcesses: Array<[string, MeasuredProcess]> = [
      ['model_server', modelServer],
      ...(auditService === undefined
        ? []
        : [['audit_service', auditService] as [string, MeasuredProcess]]),
      ...sides.flatMap((side): Array<[string, MeasuredProcess]> => {
        const target = targets[side];
        return target === undefined ? [] : [[side, target]];
      }),
    ];
    // First let the work left over from the warm-up (batches, spools, GC) finish.
    await new Promise((done) => setTimeout(done, mode.idleMs));
    const idleBefore = idleProcesses.map(([, target]) => target.cpuUs());
    const idleStarted = performance.now();
    await new Promise((done) => setTimeout(done, mode.idleMs));
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    idleProcesses.forEach(([name, target], i) => {
      idle[name] = round1((target.cpuUs() - idleBefore[i]) / 1000 / idleSeconds);
    });
    log(
      `idle CPU, ms per second: ${Object.entries(idle)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')}`,
    );

    const runs = {} as Record<SideName, Record<number, SideRun[]>>;
    for (const side of sides) runs[side] = { 1: [], 64: [] };
    log(
      `${mode.rounds} rounds x ${IN_FLIGHT.join('/')} in flight x ${sides.length} sides, ` +
        `${mode.durationMs} ms each after ${mode.warmupMs} ms warm-up`,
    );
    for (let round = 0; round < mode.rounds; round++) {
      for (const inFlight of IN_FLIGHT) {
        // Rotate which side goes first so no side always meets a cold or a tired machine.
        const order = sides.map((_, i) => sides[(i + round) % sides.length]);
        const line: string[] = [];
        for (const side of order) {
          const run = await measure(side, inFlight, mode.warmupMs, mode.durationMs);
          runs[side][inFlight].push(run);
          line.push(
            `${side} ${Math.round(run.perSecond)}/s p50 ${Math.round(run.p50)} us` +
              (run.proxyCpuUs === undefined ? '' : ` proxy ${run.proxyCpuUs.toFixed(0)} us CPU`) +
              ` server ${run.modelServerCpuUs.toFixed(0)} us CPU`,
          );
        }
        log(`round ${round + 1}, ${inFlight} in flight: ${line.join('; ')}`);
      }
    }

    const spreadWide: string[] = [];
    const summary: Record<string, Record<number, ReturnType<typeof summarizeSide>>> = {};
    for (const side of sides) {
      summary[side] = {};
      for (const inFlight of IN_FLIGHT)
        summary[side][inFlight] = summarizeSide(
          runs[side][inFlight],
          `${side}.${inFlight}`,
          spreadWide,
        );
    }
    // Paired within each round: the sides of one round ran back to back.
    const added = (side: SideName) =>
      runs[side][1].map((run, i) => run.p50 - runs.direct[1][i].p50);
    const addedNginx = summarize(added('nginx'));
    let ratios: Record<string, number | null> = {};
    let routerFigures: Record<string, unknown> = {};
    let goals: Record<string, boolean | null> | undefined;
    if (withRouter) {
      const addedRouter = summarize(added('router'));
      // The ratio of the median added latencies: a per-round ratio is meaningless in a round
      // where noise makes nginx's added latency zero or negative. The per-round ratios and the
      // spread of each added latency are reported alongside.
      // Undefined (null in the JSON) when noise left nginx adding nothing measurable.
      const addedRatio = addedNginx.median > 0 ? addedRouter.median / addedNginx.median : undefined;
      const addedRatioRounds = added('router').map((us, i) => round3(us / added('nginx')[i]));
      const cpuRatio = ratioSummary(
        runs.router[64].map((run, i) => run.proxyCpuUs! / runs.nginx[64][i].proxyCpuUs!),
      );
      const throughputRatio = ratioSummary(
        runs.router[64].map((run, i) => run.perSecond / runs.nginx[64][i].perSecond),
      );
      const cpuUs = summarize(runs.router[64].map((run) => run.proxyCpuUs!));
      ratios = {
        added_p50_vs_nginx: addedRatio === undefined ? null : round3(addedRatio),
        cpu_per_req_vs_nginx: cpuRatio.median,
        cpu_per_req_vs_nginx_min: cpuRatio.min,
        cpu_per_req_vs_nginx_max: cpuRatio.max,
        throughput_vs_nginx: throughputRatio.median,
        throughput_vs_nginx_min: throughputRatio.min,
        throughput_vs_nginx_max: throughputRatio.max,
      };
      routerFigures = {
        cpu_us_per_req: round1(cpuUs.median),
        cpu_us_per_req_min: round1(cpuUs.min),
        cpu_us_per_req_max: round1(cpuUs.max),
        router_added_p50_us: Math.round(addedRouter.median),
        router_added_p50_us_min: Math.round(addedRouter.min),
        router_added_p50_us_max: Math.round(addedRouter.max),
        added_p50_vs_nginx_by_round: addedRatioRounds,
      };
      goals = {
        added_p50_vs_nginx: addedRatio === undefined ? null : addedRatio <= GOALS.addedP50VsNginx,
        cpu_per_req_vs_nginx: cpuRatio.median <= GOALS.cpuPerReqVsNginx,
        cpu_us_per_req: cpuUs.median < GOALS.cpuUsPerReq,
        throughput_vs_nginx: throughputRatio.median >= GOALS.throughputVsNginx,
      };
    }
    const nginxCpu = summarize(runs.nginx[64].map((run) => run.proxyCpuUs!));
    let floorFigures: Record<string, number> = {};
    if (withNodeFloor) {
      const floorCpu = summarize(runs.grpc_js_proxy[64].map((run) => run.proxyCpuUs!));
      floorFigures = {
        grpc_js_proxy_cpu_us_per_req: round1(floorCpu.median),
        grpc_js_proxy_cpu_us_per_req_min: round1(floorCpu.min),
        grpc_js_proxy_cpu_us_per_req_max: round1(floorCpu.max),
        grpc_js_proxy_added_p50_us: Math.round(summarize(added('grpc_js_proxy')).median),
      };
    }
    if (spreadWide.length > 0)
      log(`throughput spread of runs over ${SPREAD_WARNING * 100}%: ${spreadWide.join(', ')}`);
    return {
      bench: 'router',
      ratios,
      ...routerFigures,
      nginx_cpu_us_per_req: round1(nginxCpu.median),
      nginx_cpu_us_per_req_min: round1(nginxCpu.min),
      nginx_cpu_us_per_req_max: round1(nginxCpu.max),
      nginx_added_p50_us: Math.round(addedNginx.median),
      nginx_added_p50_us_min: Math.round(addedNginx.min),
      nginx_added_p50_us_max: Math.round(addedNginx.max),
      ...floorFigures,
      ...(goals === undefined
        ? { router: 'not measured (--without-router)' }
        : { goals_met: goals }),
      sides: summary,
      spread_over_20pct: spreadWide,
      mtls_checks: mtlsChecks,
      idle_cpu_ms_per_s: idle,
      config: {
        quick,
        rounds: mode.rounds,
        rounds_note: 'each side runs once per round and concurrency; sides rotate which goes first',
        prewarm_ms: mode.prewarmMs,
        warmup_ms: mode.warmupMs,
        duration_ms: mode.durationMs,
        in_flight: IN_FLIGHT,
        model: `${MLP.inputSize}-${MLP.hiddenSizes.join('-')}-${MLP.outputSize} FP32 MLP, versions 1 and 2, batch 1`,
        transport:
          'gRPC over mutual TLS (TLS 1.3, dev-PKI client certificates) on every hop of every side',
        direct: 'load generator -> model server',
        nginx:
          `load generator -> nginx (${NGINX_WORKERS} worker, listen ssl http2, ssl_verify_client on, ` +
          `split_clients on $http_x_verdict_unit 50/50 over two upstream names, grpc_pass grpcs:// ` +
          'with grpc_ssl_certificate and upstream keepalive) -> model server; both upstreams are ' +
          'the same model server',
        router:
          'load generator -> router (apps/router/src/main.ts under tsx, static table file: A/B ' +
          `50/50 over mlp:1 and mlp:2 on one pool, sticky by ${UNIT_HEADER}) -> model server; ` +
          (withAudit
            ? 'its audit records go to the audit service (apps/audit, own process, mTLS), whose ' +
              'CPU is reported apart (audit_service_cpu_us_per_req), not in the router figures'
            : 'no audit service (--without-audit): audit records wait in its local spool'),
        ...(withNodeFloor
          ? {
              grpc_js_proxy:
                'load generator -> bare grpc-js proxy (router-node-floor.ts: raw bytes, SHA-256 ' +
                'unit hash over two channels, no auth/metrics/tracing/events/audit) -> model server',
            }
          : {}),
        unit: `every call its own ${UNIT_HEADER} value (u0, u1, ...)`,
        load_generator:
          'node:http2 client in a child process, one connection, pre-framed unary gRPC calls ' +
          '(h2load 1.52 has no client-certificate option, so it cannot do mutual TLS)',
        cpu_source:
          '/proc/<pid>/stat utime+stime deltas (all threads) over warm-up and run, divided by the ' +
          'successful calls of both; nginx: master plus workers; cpu ratios at 64 in flight',
        added_p50:
          'p50 at 1 in flight minus the direct p50 of the same round; added_p50_vs_nginx is the ' +
          "router's median added p50 over nginx's median added p50 (null, and its goal null, " +
          "when nginx's median added p50 is not above zero: the machine was too noisy)",
        goals:
          `added_p50_vs_nginx <= ${GOALS.addedP50VsNginx}, cpu_per_req_vs_nginx <= ` +
          `${GOALS.cpuPerReqVsNginx}, cpu_us_per_req < ${GOALS.cpuUsPerReq}, ` +
          `throughput_vs_nginx >= ${GOALS.throughputVsNginx}`,
      },
      env: {
        cpus: cpus().length,
        node: process.version,
        load_average: loadavg().map((value) => Number(value.toFixed(2))),
      },
    };
  } finally {
    for (const process of started.reverse()) await process.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
