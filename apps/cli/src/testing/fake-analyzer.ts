import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@verdict/errors';
import { runService, type ServiceImpl } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { createServiceTestBed } from './service-test-bed';
import { readConfig } from '../../../experiment-analyzer/src/config';

/** What a test can see of the fake: every request by method, and the stored experiments. */
export interface FakeAnalyzer {
  readonly experiments: Map<string, experimentsV1.Experiment>;
  readonly calls: { method: string; request: unknown }[];
  /** The answer of GetResults (per experiment id). */
  readonly results: Map<string, experimentsV1.Results>;
  /** The answer of GetRoutingTable. */
  table: experimentsV1.RoutingTable;
  readonly experimentService: ServiceImpl<typeof experimentsV1.ExperimentService.method>;
  readonly routingService: ServiceImpl<typeof experimentsV1.RoutingService.method>;
}

const State = experimentsV1.ExperimentState;

/**
 * A small in-memory ExperimentService and RoutingService for the CLI's unit tests: ids,
 * versions, states and conclusions as the proto describes them, no statistics and no routing
 * (results and the table are whatever the test puts in). The real analyzer is tested elsewhere.
 */
export function createFakeAnalyzer(): FakeAnalyzer {
  const experiments = new Map<string, experimentsV1.Experiment>();
  const decisions = new Map<string, experimentsV1.Decision[]>();
  const calls: { method: string; request: unknown }[] = [];
  const results = new Map<string, experimentsV1.Results>();
  let nextId = 1;
  const record = (method: string, request: unknown) => calls.push({ method, request });
  const get = (id: string) => {
    const experiment = experiments.get(id);
    if (experiment === undefined) throw new NotFoundError({ kind: 'experiment', resource: id });
    return experiment;
  };
  const move = (
    id: string,
    from: readonly experimentsV1.ExperimentState[],
    to: experimentsV1.ExperimentState,
  ) => {
    const experiment = get(id);
    if (!from.includes(experiment.state)) {
      throw new FailedPreconditionError(
        `experiment '${id}' is ${State[experiment.state]}, expected one of ${from.map((s) => State[s]).join(', ')}`,
      );
    }
    experiment.state = to;
    experiment.version += 1n;
    if (to === State.RUNNING) experiment.startTime = timestampNow();
    return experiment;
  };
  const fake: FakeAnalyzer = {
    experiments,
    calls,
    results,
    table: create(experimentsV1.RoutingTableSchema, {}),
    experimentService: {
      createExperiment(request) {
        record('CreateExperiment', request);
        const experiment = request.experiment;
        if (experiment === undefined || experiment.name === '') {
          throw new InvalidArgumentError({
            field: 'experiment.name',
            expected: 'a name',
            received: '""',
          });
        }
        const stored = create(experimentsV1.ExperimentSchema, {
          ...experiment,
          id: `exp-${nextId++}`,
          state: State.DRAFT,
          version: 1n,
          salt: experiment.salt || 'salt',
          createTime: timestampNow(),
          createdBy: 'fake',
        });
        experiments.set(stored.id, stored);
        return { experiment: stored };
      },
      updateExperiment(request) {
        record('UpdateExperiment', request);
        return { experiment: get(request.experiment?.id ?? '') };
      },
      getExperiment(request) {
        record('GetExperiment', request);
        return { experiment: get(request.id) };
      },
      listExperiments(request) {
        record('ListExperiments', request);
        const all = [...experiments.values()].filter(
          (e) =>
            (request.model === '' || e.model === request.model) &&
            (request.team === '' || e.team === request.team) &&
            (request.state === State.UNSPECIFIED || e.state === request.state),
        );
        // Pages of one, so the CLI's paging is exercised.
        const offset = request.pageToken === '' ? 0 : Number(request.pageToken);
        return {
          experiments: all.slice(offset, offset + 1),
          nextPageToken: offset + 1 < all.length ? String(offset + 1) : '',
        };
      },
      startExperiment(request) {
        record('StartExperiment', request);
        return { experiment: move(request.id, [State.DRAFT, State.PAUSED], State.RUNNING) };
      },
      pauseExperiment(request) {
        record('PauseExperiment', request);
        return { experiment: move(request.id, [State.RUNNING], State.PAUSED) };
      },
      stopExperiment(request) {
        record('StopExperiment', request);
        return { experiment: move(request.id, [State.RUNNING, State.PAUSED], State.STOPPED) };
      },
      concludeExperiment(request) {
        record('ConcludeExperiment', request);
        const experiment = move(
          request.id,
          [State.DRAFT, State.RUNNING, State.PAUSED],
          State.CONCLUDED,
        );
        if (!experiment.variants.some((v) => v.name === request.winner)) {
          throw new InvalidArgumentError({
            field: 'winner',
            expected: `one of ${experiment.variants.map((v) => v.name).join(', ')}`,
            received: `"${request.winner}"`,
          });
        }
        experiment.winner = request.winner;
        const control = experiment.variants.find(
          (v) => v.role === experimentsV1.VariantRole.CONTROL,
        );
        const decision = create(experimentsV1.DecisionSchema, {
          id: `dec-${nextId++}`,
          experimentId: experiment.id,
          time: timestampNow(),
          action:
            request.winner === control?.name
              ? experimentsV1.DecisionAction.ROLLBACK
              : experimentsV1.DecisionAction.PROMOTE,
          reason: request.reason,
          variant: request.winner,
          actor: 'developer',
          experimentVersion: experiment.version,
          routingTableVersion: 7n,
          applied: true,
        });
        decisions.set(experiment.id, [decision, ...(decisions.get(experiment.id) ?? [])]);
        return { experiment, decision };
      },
      getResults(request) {
        record('GetResults', request);
        get(request.experimentId);
        const found = results.get(request.experimentId);
        if (found === undefined) throw new FailedPreconditionError('no results yet');
        return { results: found };
      },
      listDecisions(request) {
        record('ListDecisions', request);
        return { decisions: decisions.get(request.experimentId) ?? [], nextPageToken: '' };
      },
    },
    routingService: {
      getRoutingTable(request) {
        record('GetRoutingTable', request);
        return { table: fake.table };
      },
      async *watchRoutingTable(request) {
        record('WatchRoutingTable', request);
        yield { table: fake.table };
      },
    },
  };
  return fake;
}

/** The fake served over real mutual TLS, and a PKI folder laid out as `verdict pki init` writes it. */
export interface FakeAnalyzerService {
  readonly fake: FakeAnalyzer;
  /** `host:port` of the in-process ExperimentService and RoutingService. */
  readonly address: string;
  /** ca.pem, developer.pem and developer.key: what the CLI's `--pki` expects. */
  readonly pkiDir: string;
  /** A temporary folder of the test's own, removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
}

const FAKE_ANALYZER_POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

/** Serves a fresh fake analyzer with the kit (mTLS, RBAC) on a free port, for CLI tests. */
export async function startFakeAnalyzerService(): Promise<FakeAnalyzerService> {
  const bed = await createServiceTestBed('verdict-cli-analyzer-', FAKE_ANALYZER_POLICY);
  const fake = createFakeAnalyzer();
  const service = await runService({
    name: 'experiment-analyzer',
    config: readConfig(bed.serviceEnv),
    permissions: EXPERIMENTS_PERMISSIONS,
    async setup({ server }) {
      server.add(experimentsV1.ExperimentService, fake.experimentService);
      server.add(experimentsV1.RoutingService, fake.routingService);
    },
  });
  return {
    fake,
    address: `127.0.0.1:${service.grpcPort}`,
    pkiDir: bed.pkiDir,
    dir: bed.dir,
    async stop() {
      await service.stop();
      await bed.remove();
    },
  };
}
