import { InvalidArgumentError } from '@verdict/errors';
import { parse } from 'yaml';
import { z } from 'zod';
import type { BatcherSettings } from '../batching/dynamic-batcher';
import type { ModelSignature } from '../tensors/host-tensor';
import type { SessionSettings } from '../workers/worker-protocol';

/** Which versions of a model are served (Triton's version_policy). */
export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

/** Server-wide defaults for what a model's config.yaml leaves out. */
export interface ModelDefaults {
  /** max_batch_size of a model without config.yaml whose inputs and outputs all start with a dynamic dimension. */
  readonly autoMaxBatchSize: number;
  /** max_queue_size when the model sets none (Triton's 0 would mean unbounded). */
  readonly maxQueueSize: number;
  readonly instanceCount: number;
  readonly executionProvider: 'cpu' | 'cuda';
  readonly graphOptimizationLevel: SessionSettings['graphOptimizationLevel'];
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
}

/** A model's settings: its config.yaml over the server's defaults. */
export interface ModelSettings {
  readonly batcher: BatcherSettings;
  readonly versionPolicy: VersionPolicy;
  readonly instanceCount: number;
  readonly session: Omit<SessionSettings, 'modelPath'>;
}

const count = () => z.number().int().min(0);
const queuePolicy = z
  .object({ max_queue_size: count().optional(), default_timeout_microseconds: count().optional() })
  .strict();

/** config.yaml: Triton's ModelConfig field names, plus the ONNX Runtime session options. */
const configSchema = z
  .object({
    name: z.string().optional(),
    platform: z.string().optional(),
    backend: z.string().optional(),
    max_batch_size: count().optional(),
    dynamic_batching: z
      .object({
        preferred_batch_size: z.array(z.number().int().min(1)).optional(),
        max_queue_delay_microseconds: count().optional(),
        priority_levels: count().optional(),
        default_priority_level: count().optional(),
        default_queue_policy: queuePolicy.optional(),
      })
      .strict()
      .nullish(),
    version_policy: z
      .union([
        z.object({ latest: z.object({ num_versions: z.number().int().min(1) }).strict() }).strict(),
        z.object({ all: z.object({}).strict().nullish() }).strict(),
        z
          .object({ specific: z.object({ versions: z.array(z.number().int().min(1)) }).strict() })
          .strict(),
      ])
      .optional(),
    instance_group: z
      .array(
        z.object({
          count: z.number().int().min(1).optional(),
          kind: z.enum(['KIND_CPU', 'KIND_GPU', 'KIND_AUTO']).optional(),
        }),
      )
      .optional(),
    execution_provider: z.enum(['cpu', 'cuda']).optional(),
    graph_optimization_level: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
    intra_op_thread_count: z.number().int().min(0).optional(),
    inter_op_thread_count: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * Reads a model's config.yaml (undefined when it has none) into its settings. Errors name the
 * field. A model without max_batch_size batches when every input and output starts with a
 * dynamic dimension, like Triton's auto-complete for ONNX.
 */
export function parseModelConfig(
  text: string | undefined,
  signature: ModelSignature,
  defaults: ModelDefaults,
): ModelSettings {
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = parse(text) ?? {};
    } catch (error) {
      throw new InvalidArgumentError({
        field: 'config.yaml',
        expected: 'YAML',
        received: (error as Error).message,
      });
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError({
      field: `config.yaml ${issue.path.join('.') || '(root)'}`,
      expected: issue.message,
      received: JSON.stringify(pick(raw, issue.path)) ?? 'nothing',
    });
  }
  const config = parsed.data;
  const batchable = [...signature.inputs, ...signature.outputs].every(
    (spec) => spec.shape.length > 0 && spec.shape[0] === -1,
  );
  const maxBatchSize = config.max_batch_size ?? (batchable ? defaults.autoMaxBatchSize : 0);
  if (maxBatchSize > 0 && !batchable) {
    throw new InvalidArgumentError({
      field: 'config.yaml max_batch_size',
      expected:
        '0, because not every input and output of the model starts with a dynamic batch dimension',
      received: String(maxBatchSize),
    });
  }
  const batching = text === undefined ? {} : config.dynamic_batching;
  const kind = config.instance_group?.[0]?.kind;
  return {
    batcher: {
      maxBatchSize,
      dynamic: batching !== undefined,
      preferredBatchSizes: batching?.preferred_batch_size ?? [],
      maxQueueDelayMicroseconds: batching?.max_queue_delay_microseconds ?? 0,
      maxQueueSize: batching?.default_queue_policy?.max_queue_size || defaults.maxQueueSize,
      priorityLevels: batching?.priority_levels ?? 0,
      defaultPriorityLevel: batching?.default_priority_level || 1,
      defaultTimeoutMicroseconds: batching?.default_queue_policy?.default_timeout_microseconds ?? 0,
    },
    versionPolicy: versionPolicy(config.version_policy),
    instanceCount:
      config.instance_group?.reduce((sum, group) => sum + (group.count ?? 1), 0) ||
      defaults.instanceCount,
    session: {
      executionProvider:
        config.execution_provider ?? (kind === 'KIND_GPU' ? 'cuda' : defaults.executionProvider),
      graphOptimizationLevel: config.graph_optimization_level ?? defaults.graphOptimizationLevel,
      intraOpNumThreads: config.intra_op_thread_count || defaults.intraOpNumThreads,
      interOpNumThreads: config.inter_op_thread_count || defaults.interOpNumThreads,
    },
  };
}

function versionPolicy(policy: z.output<typeof configSchema>['version_policy']): VersionPolicy {
  if (policy === undefined) return { kind: 'latest', numVersions: 1 };
  if ('latest' in policy) return { kind: 'latest', numVersions: policy.latest.num_versions };
  if ('specific' in policy) return { kind: 'specific', versions: policy.specific.versions };
  return { kind: 'all' };
}

/** The versions a policy serves out of those present, highest first. */
export function selectVersions(policy: VersionPolicy, present: readonly number[]): number[] {
  const sorted = [...present].sort((a, b) => b - a);
  if (policy.kind === 'all') return sorted;
  if (policy.kind === 'latest') return sorted.slice(0, policy.numVersions);
  return sorted.filter((version) => policy.versions.includes(version));
}

function pick(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path)
    current =
      current !== null && typeof current === 'object'
        ? (current as Record<PropertyKey, unknown>)[key]
        : undefined;
  return current;
}
