import { timestampDate } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError, UnimplementedError } from '@verdict/errors';
import type { CallContext, ServiceImpl } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import type { Actor } from './experiments/access';
import type { Experiments } from './experiments/experiments';
import type { RoutingTables } from './routing/routing-tables';
import type { IngestPort, ResultsPort } from './service/stats-contract';

// W3C traceparent: version-traceid-parentid-flags.
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function actorOf(context: CallContext): Actor {
  const match = TRACEPARENT.exec(context.requestHeaders.get('traceparent') ?? '');
  return { principal: context.principal, traceId: match?.[1] ?? '' };
}

function definitionOf(experiment: experimentsV1.Experiment | undefined): experimentsV1.Experiment {
  if (experiment === undefined) {
    throw new InvalidArgumentError({
      field: 'experiment',
      expected: 'an experiment',
      received: 'none',
    });
  }
  return experiment;
}

function idOf(field: string, id: string): string {
  if (id === '')
    throw new InvalidArgumentError({ field, expected: 'an experiment id', received: '""' });
  return id;
}

/** gRPC handlers of ExperimentService: translate messages to domain calls and back. */
export function createExperimentHandlers(
  experiments: Experiments,
  results: ResultsPort | undefined,
): ServiceImpl<typeof experimentsV1.ExperimentService.method> {
  return {
    createExperiment: async (request, context) => ({
      experiment: await experiments.create(actorOf(context), definitionOf(request.experiment)),
    }),
    updateExperiment: async (request, context) => {
      const definition = definitionOf(request.experiment);
      idOf('experiment.id', definition.id);
      return {
        experiment: await experiments.update(actorOf(context), definition, request.expectedVersion),
      };
    },
    getExperiment: async (request, context) => ({
      experiment: await experiments.get(actorOf(context), idOf('id', request.id)),
    }),
    listExperiments: (request, context) => experiments.list(actorOf(context), request),
    startExperiment: async (request, context) => ({
      experiment: await experiments.transition(
        actorOf(context),
        'start',
        idOf('id', request.id),
        request.reason,
      ),
    }),
    pauseExperiment: async (request, context) => ({
      experiment: await experiments.transition(
        actorOf(context),
        'pause',
        idOf('id', request.id),
        request.reason,
      ),
    }),
    stopExperiment: async (request, context) => ({
      experiment: await experiments.transition(
        actorOf(context),
        'stop',
        idOf('id', request.id),
        request.reason,
      ),
    }),
    concludeExperiment: (request, context) =>
      experiments.conclude(actorOf(context), { ...request, id: idOf('id', request.id) }),
    async getResults(request, context) {
      const experiment = await experiments.get(
        actorOf(context),
        idOf('experiment_id', request.experimentId),
      );
      if (results === undefined) {
        throw new UnimplementedError('GetResults');
      }
      const range = {
        ...(request.startTime === undefined ? {} : { start: timestampDate(request.startTime) }),
        ...(request.endTime === undefined ? {} : { end: timestampDate(request.endTime) }),
      };
      return { results: await results.results(experiment, range) };
    },
    listDecisions: (request, context) =>
      experiments.listDecisions(actorOf(context), {
        ...request,
        experimentId: idOf('experiment_id', request.experimentId),
      }),
  };
}

/** gRPC handlers of RoutingService. */
export function createRoutingHandlers(
  tables: RoutingTables,
): ServiceImpl<typeof experimentsV1.RoutingService.method> {
  return {
    getRoutingTable: async () => ({ table: await tables.current() }),
    async *watchRoutingTable(request, context) {
      for await (const table of tables.watch(request.afterVersion, context.signal)) {
        yield { table };
      }
    },
  };
}

/** gRPC handlers of IngestService; UNIMPLEMENTED without an ingest module. */
export function createIngestHandlers(
  ingest: IngestPort | undefined,
): ServiceImpl<typeof experimentsV1.IngestService.method> {
  const port = () => {
    if (ingest === undefined) {
      throw new UnimplementedError('event ingest');
    }
    return ingest;
  };
  return {
    recordExposures: (request) => port().recordExposures(request),
    recordShadowComparisons: (request) => port().recordShadowComparisons(request),
    recordOutcomes: (request) => port().recordOutcomes(request),
  };
}
