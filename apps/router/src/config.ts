import { auditConfigSchema } from '@verdict/audit-client';
import { loadServiceConfig, serviceConfigSchema } from '@verdict/config';
import { z } from 'zod';

const routingSchema = z
  .object({
    tableFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Routing table file (proto3 JSON, or YAML when it ends in .yaml/.yml), watched for changes; a bad new file is logged and the last good table stays',
      ),
    tableFilePollMs: z
      .int()
      .positive()
      .default(500)
      .describe('How often the routing table file is checked for changes'),
    analyzerAddress: z
      .string()
      .min(1)
      .optional()
      .describe(
        'host:port of the experiment analyzer: routing tables come from its RoutingService, events go to its IngestService',
      ),
    unitHeader: z
      .string()
      .min(1)
      .default('x-verdict-unit')
      .describe('Request header carrying the unit id that sticky assignment hashes'),
    residencyHeader: z
      .string()
      .min(1)
      .default('x-verdict-residency')
      .describe('Request header naming the region a request must stay in'),
    watchRetryInitialMs: z
      .int()
      .positive()
      .default(200)
      .describe('First wait before re-opening a lost routing-table watch; doubles per failure'),
    watchRetryMaxMs: z
      .int()
      .positive()
      .default(5000)
      .describe('Longest wait between routing-table watch attempts'),
  })
  .prefault({});

const upstreamSchema = z
  .object({
    timeoutMs: z
      .int()
      .min(0)
      .default(30_000)
      .describe('Deadline of a forwarded call whose client sent none; 0 for none'),
    ejectionMs: z
      .int()
      .positive()
      .default(1000)
      .describe(
        'How long an endpoint that failed with UNAVAILABLE is left out; doubles per consecutive ejection',
      ),
    maxEjectionMs: z
      .int()
      .positive()
      .default(30_000)
      .describe('Longest ejection of a failing endpoint'),
    healthRetryMs: z
      .int()
      .positive()
      .default(250)
      .describe('Wait before re-opening a lost grpc.health.v1 Watch of an endpoint'),
    drainMs: z
      .int()
      .min(0)
      .default(30_000)
      .describe(
        'How long an endpoint that left the routing table keeps its channel for calls still in flight',
      ),
  })
  .prefault({});

const shadowSchema = z
  .object({
    maxConcurrent: z
      .int()
      .min(0)
      .default(64)
      .describe('Shadow copies in flight at once; more are dropped and counted'),
    timeoutMs: z.int().positive().default(10_000).describe('Deadline of a shadow copy'),
  })
  .prefault({});

const eventsSchema = z
  .object({
    maxBuffered: z
      .int()
      .positive()
      .default(50_000)
      .describe(
        'Exposure and shadow events held while the analyzer is slow or away; more are dropped and counted',
      ),
    batchSize: z.int().positive().default(500).describe('Most events per Record* call'),
    lingerMs: z
      .int()
      .positive()
      .default(50)
      .describe('Longest wait for a batch to fill before a partial one is sent'),
    retryInitialMs: z
      .int()
      .positive()
      .default(100)
      .describe(
        'First wait before re-sending a failed batch (same event ids); doubles per failure',
      ),
    retryMaxMs: z.int().positive().default(5000).describe('Longest wait between re-sends'),
  })
  .prefault({});

const auditSchema = auditConfigSchema
  .extend({
    unitHashKey: z
      .string()
      .min(16)
      .optional()
      .describe(
        'Key of the HMAC that pseudonymises unit ids in audit records; a random key per process when unset',
      ),
  })
  .prefault({});

/** Settings of the router; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50051,
  opsPort: 9101,
  dataDir: '.verdict/data/router',
}).extend({
  routing: routingSchema,
  upstream: upstreamSchema,
  shadow: shadowSchema,
  events: eventsSchema,
  audit: auditSchema,
});

export type Config = z.output<typeof configSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(configSchema, env);
}
