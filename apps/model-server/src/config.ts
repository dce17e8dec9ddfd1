import { loadConfig, serviceConfigSchema } from '@verdict/config';
import { z } from 'zod';

const registrySchema = z
  .object({
    address: z
      .string()
      .min(1)
      .optional()
      .describe('host:port of the model registry; unset serves the local repository only'),
    models: z
      .string()
      .default('')
      .describe(
        'Comma-separated registry models to serve: name@alias (followed as it moves) or name:version',
      ),
    retryDelayMs: z
      .int()
      .positive()
      .default(1000)
      .describe('Wait before calling the registry again after a failed alias watch'),
  })
  .prefault({});

const modelsSchema = z
  .object({
    repository: z
      .string()
      .min(1)
      .default('.verdict/models')
      .describe(
        'Local model repository: <dir>/<model>/<version>/model.onnx plus optional <dir>/<model>/config.yaml',
      ),
    autoMaxBatchSize: z
      .int()
      .min(0)
      .default(64)
      .describe(
        'max_batch_size of a model without config.yaml whose tensors all start with a dynamic dimension',
      ),
    maxQueueSize: z
      .int()
      .positive()
      .default(10_000)
      .describe(
        'Requests one model version may queue when its config sets no max_queue_size; more are refused',
      ),
    instanceCount: z
      .int()
      .positive()
      .default(1)
      .describe(
        'Model instances (worker threads) per version unless config.yaml sets instance_group',
      ),
    executionProvider: z
      .enum(['cpu', 'cuda'])
      .default('cpu')
      .describe('ONNX Runtime execution provider; cuda falls back to cpu with a warning'),
    graphOptimizationLevel: z
      .enum(['disabled', 'basic', 'extended', 'all'])
      .default('all')
      .describe('ONNX Runtime graph optimisation level'),
    intraOpNumThreads: z
      .int()
      .positive()
      .default(1)
      .describe('Threads one operator may use per instance'),
    interOpNumThreads: z
      .int()
      .positive()
      .default(1)
      .describe('Threads running independent operators per instance'),
    registry: registrySchema,
  })
  .prefault({});

const driftSchema = z
  .object({
    analyzerAddress: z
      .string()
      .min(1)
      .optional()
      .describe(
        'host:port of the experiment analyzer that receives sampled inputs; unset samples nothing',
      ),
    sampleRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Share of served input rows copied to the analyzer for drift detection'),
  })
  .prefault({});

/** Settings of the model-server; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50052,
  opsPort: 9102,
  dataDir: '.verdict/data/model-server',
}).extend({ models: modelsSchema, drift: driftSchema });

export type Config = z.output<typeof configSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig({
    schema: configSchema,
    env,
    prefix: 'VERDICT_',
    file: env.VERDICT_CONFIG_FILE,
  });
}
