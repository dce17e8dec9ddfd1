import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampNow } from '@bufbuild/protobuf/wkt';
import { createClient, type ClientTransportOptions } from '@verdict/grpc-kit';
import { buildMlp } from '@verdict/model-zoo';
import { experimentsV1, registryV1 } from '@verdict/proto';
import { compileRoutingTable } from '@verdict/routing';
import { devPolicyYaml, initDevPki, type DevPki } from '@verdict/security';
import { spamAb } from '../testing/analyzer-fixture';
import { startChildService, type ChildService } from '../testing/child-services';

const { ExperimentKind, ExperimentState, DecisionAction, DecisionMethod } = experimentsV1;
const UNITS_PER_BATCH = 2000;
/** Long enough that a batch sent right after a decision lands before the next evaluation. */
const INTERVAL_MS = 2000;

async function upload(
  client: ReturnType<typeof createClient<typeof registryV1.RegistryService.method>>,
  seed: number,
) {
  const bytes = buildMlp({ inputSize: 8, hiddenSizes: [16], outputSize: 2, seed });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const messages = [
    {
      content: {
        case: 'header',
        value: { model: 'spam', sha256, sizeBytes: BigInt(bytes.length) },
      },
    },
    { content: { case: 'chunk', value: bytes } },
  ];
  return (await client.uploadVersion(messages as Iterable<never>)).version!.number;
}

/** One round of traffic split by the current weights; treatment answers correctly more often. */
function round(experiment: experimentsV1.Experiment, batch: number) {
  const [control, treatment] = experiment.variants;
  const share = treatment!.weight / (control!.weight + treatment!.weight);
  const events: experimentsV1.ExposureEvent[] = [];
  const outcomes: experimentsV1.Outcome[] = [];
  const counts = new Map<string, number>();
  for (let i = 0; i < UNITS_PER_BATCH; i++) {
    // Interleaved, so that any prefix of the batch is split by the weights as well.
    const variant = Math.floor((i + 1) * share) > Math.floor(i * share) ? treatment! : control!;
    const index = counts.get(variant.name) ?? 0;
    counts.set(variant.name, index + 1);
    const request = `b${batch}-${variant.name}-${index}`;
    events.push(
      create(experimentsV1.ExposureEventSchema, {
        eventId: `x-${request}`,
        experimentId: experiment.id,
        variant: variant.name,
        unitId: `u-${request}`,
        requestId: request,
        model: 'spam',
        modelVersion: variant.name === 'control' ? '1' : '2',
        time: timestampNow(),
        latencyUs: 1500n,
        statusCode: 0,
      }),
    );
    // 70% correct on control, 80% on the canary, spread evenly.
    const correct = index % 10 < (variant.name === 'control' ? 7 : 8) ? 1 : 0;
    outcomes.push(
      create(experimentsV1.OutcomeSchema, {
        eventId: `o-${request}`,
        subject: { case: 'requestId', value: request },
        experimentId: experiment.id,
        metric: 'correct',
        value: correct,
        time: timestampNow(),
      }),
    );
  }
  return { events, outcomes };
}

describe('analyzer and registry as child processes: a better canary is stepped up and promoted', () => {
  let dir: string;
  let pki: DevPki;
  let registry: ChildService;
  let analyzer: ChildService;
  let developer: ClientTransportOptions;
  let startAnalyzer: () => Promise<ChildService>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-analyzer-canary-'));
    pki = await initDevPki({ dir: join(dir, 'pki') });
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, devPolicyYaml());
    developer = {
      mode: 'mtls',
      caFile: pki.caCert,
      certFile: pki.client.cert,
      keyFile: pki.client.key,
    };
    registry = await startChildService({
      app: 'registry',
      identity: 'registry',
      pki,
      policyFile,
      dataDir: join(dir, 'registry'),
    });
    startAnalyzer = () =>
      startChildService({
        app: 'experiment-analyzer',
        identity: 'experiment-analyzer',
        pki,
        policyFile,
        dataDir: join(dir, 'analyzer'),
        env: {
          VERDICT_REGISTRY_ADDRESS: registry.address,
          VERDICT_DECISION_TICK_MS: '100',
          VERDICT_TABLES_REFRESH_MS: '200',
        },
      });
    analyzer = await startAnalyzer();
    const models = createClient(registryV1.RegistryService, {
      address: registry.address,
      transport: developer,
    });
    try {
      await models.createModel({ name: 'spam', team: 'ml' });
      expect(await upload(models, 1)).toBe(1n);
      expect(await upload(models, 2)).toBe(2n);
    } finally {
      models.close();
    }
  }, 60_000);

  afterAll(async () => {
    await analyzer?.stop();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  const clients: { close(): void }[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  it('steps the canary 10% -> 30% -> 50% while guardrails hold, then promotes it and moves production', async () => {
    const models = createClient(registryV1.RegistryService, {
      address: registry.address,
      transport: developer,
    });
    clients.push(models);
    await models.setAlias({ model: 'spam', alias: 'production', version: 1n });

    const client = createClient(experimentsV1.ExperimentService, {
      address: analyzer.address,
      transport: developer,
    });
    const ingest = createClient(experimentsV1.IngestService, {
      address: analyzer.address,
      transport: developer,
    });
    const routing = createClient(experimentsV1.RoutingService, {
      address: analyzer.address,
      transport: developer,
    });
    clients.push(client, ingest, routing);
    const definition = spamAb({ name: 'canary', kind: ExperimentKind.CANARY, team: 'ml' });
    definition.variants[0]!.weight = 90;
    definition.variants[1]!.weight = 10;
    definition.policy = create(experimentsV1.DecisionPolicySchema, {
      interval: durationFromMs(INTERVAL_MS),
      alpha: 0.05,
      method: DecisionMethod.FIXED,
      minSampleSize: 200n,
      canaryStep: 0.2,
      canaryMaxWeight: 0.5,
      autoApply: true,
    });
    const { experiment } = await client.createExperiment({ experiment: definition });
    const id = experiment!.id;
    let current = (await client.startExperiment({ id })).experiment!;

    const shares: number[] = [];
    for (let batch = 0; current.state === ExperimentState.RUNNING; batch++) {
      if (batch > 12)
        throw new Error(`no promotion after ${batch} batches:\n${analyzer.lines.join('\n')}`);
      shares.push(
        current.variants[1]!.weight / (current.variants[0]!.weight + current.variants[1]!.weight),
      );
      const { events, outcomes } = round(current, batch);
      // One call, so a decision taken meanwhile sees all of the batch's units or none.
      await ingest.recordExposures({ events });
      for (let i = 0; i < outcomes.length; i += 1000) {
        const response = await ingest.recordOutcomes({ outcomes: outcomes.slice(i, i + 1000) });
        expect(response.unattributedCount).toBe(0n);
      }
      // Wait for the next decision (a new version) or for an evaluation that changed nothing.
      const before = current.version;
      for (
        let waited = 0;
        waited < INTERVAL_MS * 1.25 && current.version === before;
        waited += 50
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = (await client.getExperiment({ id })).experiment!;
      }
    }

    // The conclusion's decision is written just after the experiment and its table.
    let { decisions } = await client.listDecisions({ experimentId: id });
    while (
      !decisions.some(
        (d) =>
          d.action === DecisionAction.PROMOTE ||
          d.action === DecisionAction.ROLLBACK ||
          d.action === DecisionAction.NO_DIFFERENCE,
      )
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ({ decisions } = await client.listDecisions({ experimentId: id }));
    }
    if (current.winner !== 'treatment') {
      throw new Error(`concluded otherwise: ${decisions.map((d) => d.reason).join(' | ')}`);
    }
    expect(current).toMatchObject({ state: ExperimentState.CONCLUDED, winner: 'treatment' });
    const distinct = [...new Set(shares.map((s) => Math.round(s * 100)))];
    expect(distinct).toEqual([10, 30, 50]);
    expect(decisions.map((d) => DecisionAction[d.action])).toEqual(['PROMOTE', 'STEP', 'STEP']);
    expect(decisions.every((d) => d.applied && d.actor.endsWith('/sa/experiment-analyzer'))).toBe(
      true,
    );
    expect(decisions[0]!.variant).toBe('treatment');

    const alias = await models.getAlias({ model: 'spam', alias: 'production' });
    expect(alias.alias).toMatchObject({
      version: 2n,
      updatedBy: 'spiffe://verdict.local/ns/default/sa/experiment-analyzer',
    });

    const table = (await routing.getRoutingTable({})).table!;
    expect(table.version).toBe(decisions[0]!.routingTableVersion);
    compileRoutingTable(table);
    const route = table.models.find((m) => m.model === 'spam')!;
    expect(route.experiments).toHaveLength(0);
    expect(route.defaultVariant).toMatchObject({
      name: 'treatment',
      target: { case: 'version', value: 2n },
    });
  }, 120_000);

  it('routes alias variants to the version the alias points at, following moves in the registry', async () => {
    const models = createClient(registryV1.RegistryService, {
      address: registry.address,
      transport: developer,
    });
    const client = createClient(experimentsV1.ExperimentService, {
      address: analyzer.address,
      transport: developer,
    });
    const routing = createClient(experimentsV1.RoutingService, {
      address: analyzer.address,
      transport: developer,
    });
    clients.push(models, client, routing);
    await models.setAlias({ model: 'spam', alias: 'production', version: 2n });
    const definition = spamAb({ name: 'by-alias', team: 'ml' });
    definition.variants[0]!.target = { case: 'alias', value: 'production' };
    definition.variants[1]!.target = { case: 'version', value: 1n };
    const { experiment } = await client.createExperiment({ experiment: definition });
    await client.startExperiment({ id: experiment!.id });
    const controlOf = (table: experimentsV1.RoutingTable) =>
      table.models
        .find((m) => m.model === 'spam')!
        .experiments.find((e) => e.experimentId === experiment!.id)!
        .variants.find((v) => v.name === 'control')!;
    let table = (await routing.getRoutingTable({})).table!;
    expect(controlOf(table).target).toEqual({ case: 'version', value: 2n });

    await models.setAlias({ model: 'spam', alias: 'production', version: 1n });
    while (controlOf(table).target.value !== 1n) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      table = (await routing.getRoutingTable({})).table!;
    }
    expect(controlOf(table).target).toEqual({ case: 'version', value: 1n });
    compileRoutingTable(table);
    // Nothing else changed, so no further version is written while the alias stays.
    const settled = table.version;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await routing.getRoutingTable({})).table!.version).toBe(settled);
  }, 60_000);

  it('keeps experiments, decisions and the table version across a restart; a watch resumes from the version it had', async () => {
    const connect = () => ({
      client: createClient(experimentsV1.ExperimentService, {
        address: analyzer.address,
        transport: developer,
      }),
      routing: createClient(experimentsV1.RoutingService, {
        address: analyzer.address,
        transport: developer,
      }),
    });
    const before = connect();
    const { experiment } = await before.client.createExperiment({
      experiment: spamAb({ name: 'before-restart', model: 'restart', team: 'ml' }),
    });
    const promoted = experiment!;
    await before.client.startExperiment({ id: promoted.id });
    await before.client.concludeExperiment({ id: promoted.id, winner: 'treatment' });
    const table = (await before.routing.getRoutingTable({})).table!;
    // Only this test's model: other experiments may still be running and changing.
    const listed = (await before.client.listExperiments({ model: 'restart' })).experiments;
    const decisions = (await before.client.listDecisions({ experimentId: promoted.id })).decisions;
    before.client.close();
    before.routing.close();

    await analyzer.stop();
    analyzer = await startAnalyzer();
    const after = connect();
    clients.push(after.client, after.routing);
    expect((await after.routing.getRoutingTable({})).table).toEqual(table);
    expect((await after.client.listExperiments({ model: 'restart' })).experiments).toEqual(listed);
    expect((await after.client.listDecisions({ experimentId: promoted.id })).decisions).toEqual(
      decisions,
    );
    const first = await after.routing
      .watchRoutingTable({ afterVersion: table.version - 1n })
      [Symbol.asyncIterator]()
      .next();
    expect(first.value!.table!.version).toBe(table.version);

    // The next change continues the version sequence.
    const other = await after.client.createExperiment({
      experiment: spamAb({ name: 'after-restart', model: 'restart', team: 'ml' }),
    });
    expect(other.experiment!.id).not.toBe(promoted.id);
    expect((await after.routing.getRoutingTable({})).table!.version).toBe(table.version + 1n);
  }, 60_000);
});
