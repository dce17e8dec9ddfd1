import { EventEmitter, on } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { UnavailableError, UnimplementedError } from '@verdict/errors';
import {
  createServer,
  type KitServer,
  type RawServiceImpl,
  type ServiceImpl,
} from '@verdict/grpc-kit';
import { auditV1, experimentsV1, inference } from '@verdict/proto';
import type { RouterTestEnv } from './router-stack';

type InferenceMethods = (typeof inference.GRPCInferenceService)['method'];

/** What a shadow upstream does with each ModelInfer. */
export type ShadowBehaviour = { kind: 'sleep'; ms: number } | { kind: 'fail' };

/** A shadow-only upstream: an in-process gRPC server (real mTLS) answering ModelInfer. */
export interface ShadowUpstream {
  readonly address: string;
  /** request id -> when the copy arrived and when its answer left (ms since the epoch). */
  readonly calls: Map<string, { received: number; answered?: number }>;
  stop(): Promise<void>;
}

/**
 * Answers ModelInfer after `behaviour.ms` with a `probabilities` FP32 [1, 4] output (the test MLPs' output) (or fails UNAVAILABLE), for
 * shadow tests: the issue allows a small server for the shadow side only.
 */
export async function startShadowUpstream(
  env: RouterTestEnv,
  behaviour: ShadowBehaviour,
): Promise<ShadowUpstream> {
  const calls = new Map<string, { received: number; answered?: number }>();
  const unimplemented = async (): Promise<Buffer> => {
    throw new UnimplementedError('shadow upstream');
  };
  const impl: RawServiceImpl<InferenceMethods> = {
    serverLive: unimplemented,
    serverReady: unimplemented,
    modelReady: unimplemented,
    serverMetadata: unimplemented,
    modelMetadata: unimplemented,
    modelConfig: unimplemented,
    modelStatistics: unimplemented,
    repositoryIndex: unimplemented,
    repositoryModelLoad: unimplemented,
    repositoryModelUnload: unimplemented,
    async modelInfer(bytes) {
      const request = fromBinary(inference.ModelInferRequestSchema, bytes);
      const call: { received: number; answered?: number } = { received: Date.now() };
      calls.set(request.id, call);
      if (behaviour.kind === 'fail') throw new UnavailableError('shadow upstream fails on purpose');
      await delay(behaviour.ms);
      call.answered = Date.now();
      const values = new Float32Array([0.1, 0.2, 0.3, 0.4]);
      return Buffer.from(
        toBinary(
          inference.ModelInferResponseSchema,
          create(inference.ModelInferResponseSchema, {
            modelName: request.modelName,
            modelVersion: request.modelVersion,
            id: request.id,
            outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, 4n] }],
            rawOutputContents: [new Uint8Array(values.buffer)],
          }),
        ),
      );
    },
    async *modelStreamInfer() {
      throw new UnimplementedError('shadow upstream');
    },
  };
  const server = createServer({
    name: 'shadow-upstream',
    transport: env.transport('model-server'),
    authorize: () => undefined,
  });
  server.addRaw(inference.GRPCInferenceService, impl);
  const port = await server.start();
  return { address: `127.0.0.1:${port}`, calls, stop: () => shutdown(server) };
}

/**
 * The analyzer's two services as the router sees them: IngestService keeps what it is sent,
 * RoutingService.WatchRoutingTable streams the tables `publish` is given (the newest first when
 * it is newer than after_version), recording each watch's after_version.
 */
export interface FakeAnalyzer {
  readonly address: string;
  readonly port: number;
  readonly exposures: experimentsV1.ExposureEvent[];
  readonly comparisons: experimentsV1.ShadowComparison[];
  /** after_version of every WatchRoutingTable call, in order. */
  readonly watches: bigint[];
  publish(table: experimentsV1.RoutingTable): void;
  stop(): Promise<void>;
}

export async function startFakeAnalyzer(
  env: RouterTestEnv,
  options: { port?: number; tables?: experimentsV1.RoutingTable[] } = {},
): Promise<FakeAnalyzer> {
  const exposures: experimentsV1.ExposureEvent[] = [];
  const comparisons: experimentsV1.ShadowComparison[] = [];
  const watches: bigint[] = [];
  const tables: experimentsV1.RoutingTable[] = [...(options.tables ?? [])];
  const published = new EventEmitter();
  published.setMaxListeners(0);
  const ingest: ServiceImpl<(typeof experimentsV1.IngestService)['method']> = {
    recordExposures(request) {
      exposures.push(...request.events);
      return { acceptedCount: BigInt(request.events.length) };
    },
    recordShadowComparisons(request) {
      comparisons.push(...request.comparisons);
      return { acceptedCount: BigInt(request.comparisons.length) };
    },
    recordOutcomes() {
      throw new UnimplementedError('RecordOutcomes in the fake analyzer');
    },
  };
  const routing: ServiceImpl<(typeof experimentsV1.RoutingService)['method']> = {
    getRoutingTable() {
      return { table: tables[tables.length - 1] };
    },
    async *watchRoutingTable(request, context) {
      watches.push(request.afterVersion);
      let sent = request.afterVersion;
      const stop = new AbortController();
      context.signal.addEventListener('abort', () => stop.abort(), { once: true });
      const newest = () => tables[tables.length - 1];
      if (newest() !== undefined && newest().version > sent) {
        sent = newest().version;
        yield { table: newest() };
      }
      try {
        for await (const [table] of on(published, 'table', { signal: stop.signal })) {
          const next = table as experimentsV1.RoutingTable;
          if (next.version <= sent) continue;
          sent = next.version;
          yield { table: next };
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    },
  };
  const server = createServer({
    name: 'fake-analyzer',
    transport: env.transport('experiment-analyzer'),
    authorize: () => undefined,
    port: options.port ?? 0,
  });
  server.add(experimentsV1.IngestService, ingest);
  server.add(experimentsV1.RoutingService, routing);
  const port = await server.start();
  return {
    address: `127.0.0.1:${port}`,
    port,
    exposures,
    comparisons,
    watches,
    publish(table) {
      tables.push(table);
      published.emit('table', table);
    },
    async stop() {
      // Watch streams never end by themselves: cancel them instead of waiting for a drain.
      await server.shutdown({ graceMs: 0 });
    },
  };
}

/** An AuditService that keeps every appended record. */
export interface AuditSpy {
  readonly address: string;
  readonly records: auditV1.Record[];
  stop(): Promise<void>;
}

export async function startAuditSpy(env: RouterTestEnv): Promise<AuditSpy> {
  const records: auditV1.Record[] = [];
  const unimplemented = () => {
    throw new UnimplementedError('audit spy');
  };
  const impl: ServiceImpl<(typeof auditV1.AuditService)['method']> = {
    append(request) {
      records.push(...request.records);
      return {
        results: request.records.map((record, index) => ({ id: record.id, index: BigInt(index) })),
        treeSize: BigInt(records.length),
      };
    },
    appendStream: unimplemented,
    getCheckpoint: unimplemented,
    getInclusionProof: unimplemented,
    getConsistencyProof: unimplemented,
    query: unimplemented,
    async *export() {
      unimplemented();
    },
  };
  const server = createServer({
    name: 'audit-spy',
    transport: env.transport('audit'),
    authorize: () => undefined,
  });
  server.add(auditV1.AuditService, impl);
  const port = await server.start();
  return { address: `127.0.0.1:${port}`, records, stop: () => shutdown(server) };
}

async function shutdown(server: KitServer): Promise<void> {
  await server.shutdown({ graceMs: 500 });
}
