import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { experimentsV1 } from '@verdict/proto';
import { appEntry, startStack, type Stack } from './harness';
import { createStockOipClient, type StockOipClient, type StockTensor } from './oip-stock-client';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@verdict/telemetry/testing';

const run = promisify(execFile);

/** Units sent through the router; at 50/50 one variant's share has a standard deviation of 2.5 points. */
const UNITS = 400;
/** Calls in flight at once. */
const CONCURRENCY = 16;
/** How long to wait for the router to apply the seeded table, and for spans to be exported. */
const SETTLE_MS = 60_000;

/** The documented unit hash (docs/routing.md), computed here independently of libs/routing. */
function bucketOf(salt: string, unit: string): number {
  return createHash('sha256').update(`${salt}:${unit}`, 'utf8').digest().readUInt32BE(0) % 10_000;
}

interface TableJson {
  models: {
    model: string;
    experiments?: {
      experimentId: string;
      salt: string;
      variants: { name: string; version?: string; buckets?: { start?: number; end?: number }[] }[];
    }[];
  }[];
}

interface RouteRowJson {
  model: string;
  experiment: string;
  variant: string;
  configuredShare?: number;
  requests?: number;
}

async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined>,
  settleMs = SETTLE_MS,
): Promise<T> {
  const deadline = Date.now() + settleMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const described = typeof what === 'string' ? what : what();
  throw new Error(
    `${described} within ${settleMs} ms${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

/**
 * Issue 6's end-to-end acceptance through `verdict dev`: a stock OIP v2 client (grpc-js +
 * proto-loader on the published proto) calls the router, the seeded demo experiment splits
 * units between spam:1 and spam:2, the trailers name the variant, one trace spans client,
 * router and model server, and `verdict routes show` shows the table with the observed split.
 */
describe('routing through the dev stack', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  let client: StockOipClient;
  let tensor: StockTensor;
  let demoId: string;
  /** Every ModelInfer this test sent that the router attributed to the demo experiment, by variant. */
  const sent = new Map<string, number>();
  /** Units the first test saw answered by the treatment. */
  const treatmentUnits: string[] = [];

  const infer = async (unit: string, headers: Record<string, string> = {}) => {
    const result = await client.infer('spam', tensor, { 'x-verdict-unit': unit, ...headers });
    if (result.trailers['x-verdict-experiment'] === demoId) {
      const variant = result.trailers['x-verdict-variant'];
      sent.set(variant, (sent.get(variant) ?? 0) + 1);
    }
    return result;
  };

  const cli = async (...args: string[]) =>
    run(process.execPath, [appEntry('cli'), ...args, '--pki', stack.pkiDir], {
      encoding: 'utf8',
    });

  /**
   * `verdict experiment create --name <name> <flags> --json` for team demo's spam model with the
   * metric `correct`, then `verdict experiment start --json` against the stack's analyzer: the
   * new experiment's id and what the start printed.
   */
  const createAndStart = async (name: string, ...flags: string[]) => {
    const analyzer = ['--address', stack.grpc['experiment-analyzer']];
    const common = ['--name', name, '--team', 'demo', '--model', 'spam', '--metric', 'correct'];
    const created = JSON.parse(
      (await cli('experiment', 'create', ...common, ...flags, '--json', ...analyzer)).stdout,
    );
    const id: string = created.experiment.id;
    const started = JSON.parse(
      (await cli('experiment', 'start', id, '--json', ...analyzer)).stdout,
    );
    return { id, started };
  };

  /** Probes with `unit` until the router routes it by experiment `id`; returns the probes sent. */
  const untilRoutedBy = async (what: string, id: string, unit: string) => {
    let probes = 0;
    await until(what, async () => {
      const { trailers } = await infer(unit);
      probes += 1;
      return trailers['x-verdict-experiment'] === id ? true : undefined;
    });
    return probes;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // Verdict's own setting: every service reads it (the model server does not read the
    // standard OTEL_EXPORTER_OTLP_ENDPOINT fallback, it loads its config without it).
    stack = await startStack({ env: { VERDICT_OTLP_ENDPOINT: receiver.endpoint } });
    const line = stack.output.find((l) => l.startsWith('Demo experiment '));
    const match =
      /^Demo experiment (\S+) \(spam-v2-vs-v1 on spam, created now\): running; control v1 50\.0% \| treatment v2 50\.0%$/.exec(
        line ?? '',
      );
    if (match === null) {
      throw new Error(
        `verdict dev did not report the seeded demo experiment:\n${stack.output.join('\n')}`,
      );
    }
    demoId = match[1];
    const tls = stack.transport() as { caFile: string; certFile: string; keyFile: string };
    client = createStockOipClient(stack.grpc.router, tls);
    // Metadata straight from the model server, so the router counts only the calls below.
    const direct = createStockOipClient(stack.grpc['model-server'], tls);
    const { inputs } = await direct.metadata('spam');
    direct.close();
    const width = Number(inputs[0].shape.at(-1));
    const values = new Float32Array(width);
    for (let i = 0; i < width; i += 7) values[i] = 1;
    tensor = { name: inputs[0].name, width, values };
    // The router applies the seeded table from its watch a moment after the analyzer made it.
    await untilRoutedBy('the router routes spam by the demo experiment', demoId, 'warm-up');
  }, 240_000);

  afterAll(async () => {
    client?.close();
    await stack?.stop();
    await receiver?.close();
  }, 60_000);

  it('answers from both spam versions by the hash of x-verdict-unit, about 50/50, sticky, with the variant in the trailers', async () => {
    const { stdout } = await cli(
      'routes',
      'show',
      '--json',
      '--address',
      stack.grpc['experiment-analyzer'],
      '--metrics',
      stack.ops.router.replace(/^http:\/\//, ''),
    );
    const table = JSON.parse(stdout).table as TableJson;
    const route = table.models
      .find((m) => m.model === 'spam')!
      .experiments!.find((e) => e.experimentId === demoId)!;
    const expected = (unit: string) => {
      const bucket = bucketOf(route.salt, unit);
      return route.variants.find((v) =>
        (v.buckets ?? []).some((r) => (r.start ?? 0) <= bucket && bucket < (r.end ?? 0)),
      )!.name;
    };

    const units = Array.from({ length: UNITS }, (_, i) => `user-${i}`);
    const answers = new Map<string, { variant: string; version: string }>();
    for (let i = 0; i < units.length; i += CONCURRENCY) {
      const batch = units.slice(i, i + CONCURRENCY);
      const results = await Promise.all(batch.map((unit) => infer(unit)));
      results.forEach((result, j) => {
        expect(result.trailers['x-verdict-experiment']).toBe(demoId);
        expect(result.output).toHaveLength(2);
        answers.set(batch[j], {
          variant: result.trailers['x-verdict-variant'],
          version: result.modelVersion,
        });
      });
    }
    for (const [unit, answer] of answers) {
      if (answer.variant === 'treatment') treatmentUnits.push(unit);
    }
    const byVariant = (variant: string) =>
      [...answers.values()].filter((a) => a.variant === variant);
    // The variant in the trailers is the version that answered: control spam:1, treatment spam:2.
    expect(new Set(byVariant('control').map((a) => a.version))).toEqual(new Set(['1']));
    expect(new Set(byVariant('treatment').map((a) => a.version))).toEqual(new Set(['2']));
    expect(byVariant('control').length + byVariant('treatment').length).toBe(UNITS);
    // Each unit got exactly the variant the documented hash gives any client.
    const mismatches = units.filter((unit) => answers.get(unit)!.variant !== expected(unit));
    expect(mismatches).toEqual([]);
    // 50/50 within four standard deviations (2.5 points each at 400 units).
    const share = byVariant('treatment').length / UNITS;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    // Sticky: asked again, every unit gets the same variant.
    const again = await Promise.all(units.slice(0, 40).map((unit) => infer(unit)));
    expect(again.map((r) => r.trailers['x-verdict-variant'])).toEqual(
      units.slice(0, 40).map((unit) => answers.get(unit)!.variant),
    );
  });

  it('verdict routes show prints the demo table with the configured and the observed split', async () => {
    const args = [
      'routes',
      'show',
      '--address',
      stack.grpc['experiment-analyzer'],
      '--metrics',
      stack.ops.router.replace(/^http:\/\//, ''),
    ];
    const json = JSON.parse((await cli(...args, '--json')).stdout) as { routes: RouteRowJson[] };
    const rows = json.routes.filter((r) => r.model === 'spam' && r.experiment === demoId);
    expect(rows.map((r) => [r.variant, r.configuredShare])).toEqual([
      ['control', 0.5],
      ['treatment', 0.5],
    ]);
    // The router counted exactly the calls this test sent (it is the only client).
    for (const row of rows) expect(row.requests).toBe(sent.get(row.variant));

    const { stdout } = await cli(...args);
    expect(stdout).toMatch(/^routing table version \d+, made /);
    expect(stdout).toMatch(/^default\s+local\s+127\.0\.0\.1:\d+$/m);
    expect(stdout).toMatch(
      new RegExp(
        `spam\\s+${demoId} \\(ab, 100\\.0% of units\\)\\s+control\\s+v1\\s+default\\s+50\\.0%\\s+\\d+\\.\\d%\\s+${sent.get('control')}`,
      ),
    );
    expect(stdout).toMatch(
      new RegExp(
        `spam\\s+${demoId} \\(ab, 100\\.0% of units\\)\\s+treatment\\s+v2\\s+default\\s+50\\.0%\\s+\\d+\\.\\d%\\s+${sent.get('treatment')}`,
      ),
    );
  });

  it('the router reports exposures to the analyzer: verdict experiment results counts every routed call', async () => {
    const address = ['--address', stack.grpc['experiment-analyzer']];
    const listed = JSON.parse(
      (await cli('experiment', 'list', '--model', 'spam', '--json', ...address)).stdout,
    );
    expect(listed.experiments).toEqual([
      expect.objectContaining({ id: demoId, state: 'EXPERIMENT_STATE_RUNNING' }),
    ]);
    // Exposure events are batched off the answer path: wait until the analyzer has them all.
    const results = await until('the analyzer counting every routed call', async () => {
      const { stdout } = await cli('experiment', 'results', demoId, '--json', ...address);
      const variants = JSON.parse(stdout).results.variants as {
        variant: string;
        requests: string;
      }[];
      const counted = variants.map((v) => [v.variant, Number(v.requests)]);
      const expected = ['control', 'treatment'].map((v) => [v, sent.get(v) ?? 0]);
      return JSON.stringify(counted) === JSON.stringify(expected) ? variants : undefined;
    });
    expect(results.map((v) => v.variant)).toEqual(['control', 'treatment']);
    const { stdout } = await cli('experiment', 'results', demoId, ...address);
    expect(stdout).toMatch(
      new RegExp(`^control\\s+\\d+\\s+${sent.get('control')}\\s+50\\.0%\\s+\\d+\\.\\d%$`, 'm'),
    );
    expect(stdout).toMatch(/^SRM: chi2 \S+, p \S+, (ok|MISMATCH)/m);
  });

  it('one trace spans the client, the router and the model server', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const { trailers } = await infer('traced-unit', {
      traceparent: `00-${traceId}-${clientSpanId}-01`,
    });
    expect(trailers['x-verdict-experiment']).toBe(demoId);
    // Services export in batches (every few seconds): wait for both ends of the trace.
    const seen = () => {
      const services = [...new Set(receiver.spans.map((s) => s.service))].join(', ');
      const ours = receiver.spans.filter((s) => s.traceId === traceId);
      return `${receiver.spans.length} spans received from [${services}]; of this trace: ${JSON.stringify(ours)}`;
    };
    const trace = await until(
      () => `spans of the traced call from router and model server (${seen()})`,
      async () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId);
        const routerServer = spans.find(
          (s) => s.service === 'router' && s.kind === 2 && s.parentSpanId === clientSpanId,
        );
        const modelServer = spans.find((s) => s.service === 'model-server' && s.kind === 2);
        return routerServer && modelServer ? spans : undefined;
      },
    );
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const modelServerSpan = trace.find((s) => s.service === 'model-server' && s.kind === 2)!;
    expect(modelServerSpan.name).toBe('inference.GRPCInferenceService/ModelInfer');
    // Walk up from the model server's span: through the router, to the client's span.
    const chain: ReceivedSpan[] = [];
    for (
      let span: ReceivedSpan | undefined = modelServerSpan;
      span;
      span = byId.get(span.parentSpanId)
    ) {
      chain.push(span);
      if (span.parentSpanId === clientSpanId) break;
    }
    expect(chain.at(-1)!.parentSpanId).toBe(clientSpanId);
    expect(chain.map((s) => s.service)).toContain('router');
    expect(chain.at(-1)).toMatchObject({ service: 'router', kind: 2 });
  });
  it('verdict experiment rollback sends the treatment units back to spam:1, with a decision, a new table and an audit record', async () => {
    expect(treatmentUnits.length).toBeGreaterThan(0);
    const rolled = await cli(
      'experiment',
      'rollback',
      demoId,
      '--reason',
      'e2e: rollback through the stack',
      '--json',
      '--address',
      stack.grpc['experiment-analyzer'],
    );
    const { experiment, decision } = JSON.parse(rolled.stdout);
    expect(experiment).toMatchObject({ state: 'EXPERIMENT_STATE_CONCLUDED', winner: 'control' });
    expect(decision).toMatchObject({ action: 'DECISION_ACTION_ROLLBACK', variant: 'control' });
    const tableVersion = Number(decision.routingTableVersion);
    expect(tableVersion).toBeGreaterThan(0);
    // The router follows the analyzer's watch: once it has that table, spam:1 answers everyone.
    await until('the router applying the rollback table', async () => {
      const { trailers } = await infer(treatmentUnits[0]);
      return Number(trailers['x-verdict-table-version']) >= tableVersion ? true : undefined;
    });
    const after = await Promise.all(treatmentUnits.slice(0, 40).map((unit) => infer(unit)));
    expect(new Set(after.map((r) => r.modelVersion))).toEqual(new Set(['1']));
    // The audit service got the conclusion from the analyzer (records are spooled, then sent).
    const record = await until('the audit record of the rollback', async () => {
      const { stdout } = await cli(
        'audit',
        'query',
        '--action',
        'experiment.conclude',
        '--address',
        stack.grpc.audit,
      );
      return stdout
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as {
              resource: string;
              actor: string;
              details?: Record<string, string>;
            },
        )
        .find((r) => r.resource === `experiment/${demoId}`);
    });
    expect(record).toMatchObject({
      actor: 'spiffe://verdict.local/ns/default/sa/developer',
      details: { action: 'ROLLBACK', winner: 'control', reason: 'e2e: rollback through the stack' },
    });
  });
  it('verdict experiment create + start + promote: the winner takes all traffic and spam@production moves to 2', async () => {
    expect(stack.output).toContain(
      'Registry: pushed spam versions 1 and 2, spam@production -> 1 (a promotion moves it)',
    );
    const analyzer = ['--address', stack.grpc['experiment-analyzer']];
    const { id } = await createAndStart(
      'promote-e2e',
      '--variant',
      'control=1:50',
      '--variant',
      'treatment=2:50',
    );
    const promoted = JSON.parse(
      (await cli('experiment', 'promote', id, '--json', ...analyzer)).stdout,
    );
    expect(promoted.experiment).toMatchObject({
      state: 'EXPERIMENT_STATE_CONCLUDED',
      winner: 'treatment',
    });
    expect(promoted.decision).toMatchObject({
      action: 'DECISION_ACTION_PROMOTE',
      variant: 'treatment',
    });
    const tableVersion = Number(promoted.decision.routingTableVersion);
    await until('the router applying the promotion table', async () => {
      const { trailers } = await infer('after-promotion');
      return Number(trailers['x-verdict-table-version']) >= tableVersion ? true : undefined;
    });
    const after = await Promise.all(
      Array.from({ length: 40 }, (_, i) => infer(`after-promotion-${i}`)),
    );
    expect(new Set(after.map((r) => r.modelVersion))).toEqual(new Set(['2']));
    const model = JSON.parse(
      (await cli('model', 'show', 'spam', '--json', '--address', stack.grpc.registry)).stdout,
    );
    expect(model.aliases).toEqual([expect.objectContaining({ name: 'production', version: '2' })]);
  });
  it('the analyzer rolls back by itself a treatment that fails: decision, new table in the router, audit record', async () => {
    const analyzer = ['--address', stack.grpc['experiment-analyzer']];
    // Version 3 of spam exists nowhere, so every request the treatment gets fails (NOT_FOUND
    // from the model server); the analyzer only sees that through the router's exposure events.
    const { id, started } = await createAndStart(
      'broken-treatment',
      '--variant',
      'control=1:50',
      '--variant',
      'broken=3:50',
      '--guardrail',
      'error_rate=0.01',
      '--interval',
      '2s',
      // The 200 requests below split about 100/100; the default minimum of 100 per variant
      // could leave one side just short of it.
      '--min-sample-size',
      '50',
      '--auto-apply',
    );
    expect(started.experiment.state).toBe('EXPERIMENT_STATE_RUNNING');
    const units = Array.from({ length: 200 }, (_, i) => `broken-${i}`);
    await until('the router routing by the new experiment', async () => {
      const { trailers } = await client
        .infer('spam', tensor, { 'x-verdict-unit': 'probe' })
        .catch((error: { metadata?: { getMap(): Record<string, unknown> } }) => ({
          trailers: Object.fromEntries(
            Object.entries(error.metadata?.getMap() ?? {}).map(([k, v]) => [k, String(v)]),
          ),
        }));
      return trailers['x-verdict-experiment'] === id ? true : undefined;
    });
    const outcomes = await Promise.all(
      units.map((unit) =>
        client.infer('spam', tensor, { 'x-verdict-unit': unit }).then(
          (result) => ({ unit, ok: true, version: result.modelVersion }),
          (error: { code: number }) => ({ unit, ok: false, code: error.code }),
        ),
      ),
    );
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(50);
    expect(outcomes.filter((o) => o.ok).every((o) => 'version' in o && o.version === '1')).toBe(
      true,
    );

    const concluded = await until('the automatic rollback', async () => {
      const shown = JSON.parse((await cli('experiment', 'show', id, '--json', ...analyzer)).stdout);
      return shown.experiment.state === 'EXPERIMENT_STATE_CONCLUDED' ? shown : undefined;
    });
    expect(concluded.experiment.winner).toBe('control');
    const decision = concluded.decisions[0];
    expect(decision).toMatchObject({
      action: 'DECISION_ACTION_ROLLBACK',
      // The analyzer records the variant the traffic goes to; the reason names the failing one.
      variant: 'control',
      applied: true,
      actor: 'spiffe://verdict.local/ns/default/sa/experiment-analyzer',
    });
    expect(decision.reason).toMatch(/^Guardrail error_rate breached: broken /);
    const tableVersion = Number(decision.routingTableVersion);
    expect(tableVersion).toBeGreaterThan(0);
    await until('the router applying the rollback table', async () => {
      const { trailers } = await infer('after-rollback');
      return Number(trailers['x-verdict-table-version']) >= tableVersion ? true : undefined;
    });
    // The units that failed are answered again (by the table's spam default) once it is applied.
    const again = await Promise.all(failed.slice(0, 20).map((o) => infer(o.unit)));
    expect(again.every((r) => r.output.length === 2)).toBe(true);
    const record = await until('the audit record of the automatic rollback', async () => {
      const { stdout } = await cli(
        'audit',
        'query',
        '--action',
        'experiment.conclude',
        '--address',
        stack.grpc.audit,
      );
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { resource: string; actor: string })
        .find((r) => r.resource === `experiment/${id}`);
    });
    expect(record.actor).toBe('spiffe://verdict.local/ns/default/sa/experiment-analyzer');
  });
  it('a canary better on the primary metric is stepped up by the analyzer, promoted, and spam@production moves', async () => {
    const analyzer = ['--address', stack.grpc['experiment-analyzer']];
    // An earlier test promoted spam 2 by hand: production starts from 1 again.
    await cli(
      'model',
      'promote',
      'spam',
      '1',
      '--alias',
      'production',
      '--address',
      stack.grpc.registry,
    );
    const { id } = await createAndStart(
      'canary-e2e',
      '--kind',
      'canary',
      '--variant',
      'stable=1:90',
      '--variant',
      'candidate=2:10',
      '--canary-step',
      '0.2',
      '--canary-max-weight',
      '0.5',
      '--min-sample-size',
      '30',
      '--interval',
      '1s',
      '--auto-apply',
    );
    await untilRoutedBy('the router routing by the canary', id, 'canary-probe');
    // A client reporting outcomes later, by request id: the candidate is always right, the
    // stable version four times in five. The state is read over gRPC each round (a CLI process
    // per round made rounds slow enough on a loaded 2-core machine to miss the deadline).
    const ingest = stack.client('experiment-analyzer', experimentsV1.IngestService);
    const experiments = stack.client('experiment-analyzer', experimentsV1.ExperimentService);
    let round = 0;
    const candidateShares: number[] = [];
    try {
      await until(
        'the canary promoted',
        async () => {
          round += 1;
          const batch: { request: string; variant: string | undefined }[] = [];
          for (let part = 0; part < 4; part++) {
            batch.push(
              ...(await Promise.all(
                Array.from({ length: CONCURRENCY * 2 }, (_, i) => {
                  const request = `canary-${round}-${part}-${i}`;
                  return client
                    .infer('spam', tensor, { 'x-verdict-unit': request }, request)
                    .then((result) => ({ request, variant: result.trailers['x-verdict-variant'] }));
                }),
              )),
            );
          }
          candidateShares.push(
            batch.filter((b) => b.variant === 'candidate').length / batch.length,
          );
          await ingest.recordOutcomes({
            outcomes: batch
              .filter((b) => b.variant === 'stable' || b.variant === 'candidate')
              .map((b, i) => ({
                eventId: `outcome-${b.request}`,
                subject: { case: 'requestId' as const, value: b.request },
                metric: 'correct',
                value: b.variant === 'candidate' || i % 5 !== 0 ? 1 : 0,
              })),
          });
          const { experiment } = await experiments.getExperiment({ id });
          return experiment?.state === experimentsV1.ExperimentState.CONCLUDED ? true : undefined;
        },
        2 * SETTLE_MS,
      );
      const concluded = JSON.parse(
        (await cli('experiment', 'show', id, '--json', ...analyzer)).stdout,
      );
      expect(concluded.experiment.winner).toBe('candidate');
      const actions = (concluded.decisions as { action: string; actor: string }[])
        .map((d) => d.action)
        .reverse();
      // Stepped 10% -> 30% -> 50%, then promoted, all by the analyzer itself.
      expect(actions).toEqual([
        'DECISION_ACTION_STEP',
        'DECISION_ACTION_STEP',
        'DECISION_ACTION_PROMOTE',
      ]);
      expect(new Set(concluded.decisions.map((d: { actor: string }) => d.actor))).toEqual(
        new Set(['spiffe://verdict.local/ns/default/sa/experiment-analyzer']),
      );
      // The router followed the steps: the candidate got more of the traffic as it went.
      expect(Math.max(...candidateShares)).toBeGreaterThan(candidateShares[0]);
      const model = JSON.parse(
        (await cli('model', 'show', 'spam', '--json', '--address', stack.grpc.registry)).stdout,
      );
      expect(model.aliases).toEqual([
        expect.objectContaining({ name: 'production', version: '2' }),
      ]);
    } finally {
      ingest.close();
      experiments.close();
    }
  }, 180_000);

  it('a shadow experiment: spam:1 answers, spam:2 gets copies, and verdict experiment results shows the comparisons', async () => {
    const analyzer = ['--address', stack.grpc['experiment-analyzer']];
    const { id } = await createAndStart(
      'shadow-e2e',
      '--kind',
      'shadow',
      '--variant',
      'primary=1',
      '--shadow',
      'mirror=2:1',
    );
    const probes = await untilRoutedBy(
      'the router routing by the shadow experiment',
      id,
      'shadow-probe',
    );
    // In batches below the router's bound on shadow copies in flight (64), so none is dropped.
    const answers: Awaited<ReturnType<typeof infer>>[] = [];
    for (let i = 0; i < 60; i += CONCURRENCY) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, 60 - i) }, (_, j) => infer(`shadow-${i + j}`)),
        )),
      );
    }
    // The shadow never answers: every answer is the primary's.
    expect(new Set(answers.map((a) => a.trailers['x-verdict-variant']))).toEqual(
      new Set(['primary']),
    );
    expect(new Set(answers.map((a) => a.modelVersion))).toEqual(new Set(['1']));
    const results = await until('shadow comparisons in the results', async () => {
      const { stdout } = await cli('experiment', 'results', id, '--json', ...analyzer);
      const shadows = JSON.parse(stdout).results.shadows as {
        variant: string;
        comparisons: string;
        shadowErrorRate: number;
        agreementRate: number;
      }[];
      return shadows.length === 1 && Number(shadows[0].comparisons) >= answers.length
        ? shadows[0]
        : undefined;
    });
    expect(results.variant).toBe('mirror');
    // One copy per request routed by the experiment (the probes that found it included).
    expect(Number(results.comparisons)).toBeLessThanOrEqual(answers.length + probes);
    expect(results.shadowErrorRate).toBe(0);
    expect(results.agreementRate).toBeGreaterThan(0);
    const { stdout } = await cli('experiment', 'results', id, ...analyzer);
    expect(stdout).toMatch(/^Shadows:\nSHADOW\s+COMPARED\s+AGREEMENT/m);
    expect(stdout).toMatch(/^mirror\s+\d+\s+\d+\.\d%/m);
    await cli('experiment', 'rollback', id, '--reason', 'e2e shadow done', ...analyzer);
  });
});
