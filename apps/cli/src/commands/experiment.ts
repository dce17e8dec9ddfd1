import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import type { CommandResult } from './command';
import { connectExperiments, type ExperimentClient } from './analyzer-client';
import { experimentDefinition, UsageError, type DefinitionFlags } from './experiment-definition';
import {
  experimentJson,
  kindOf,
  listTable,
  resultsText,
  showText,
  stateOf,
  variantSummary,
} from './experiment-format';
import { describeRpcFailure } from './model-client';
import type { ModelIo } from './model';
import { replayCommand, type ReplayFlags } from './replay';

export const EXPERIMENT_USAGE = `verdict experiment create|list|show|start|pause|promote|rollback|results|replay ... [--address 127.0.0.1:50054] [--pki .verdict/pki] [--json]

  verdict experiment create --file EXPERIMENT.yaml
      The Experiment message (verdict.experiments.v1) as proto3 JSON or YAML of the same shape.
  verdict experiment create --name NAME --team TEAM --model MODEL
        --variant control=1:50 --variant treatment=2:50 [--control NAME] [--pool default]
        [--kind ab|canary|blue-green|shadow|bandit] [--metric correct [--metric-type binary|continuous]]
        [--guardrail error_rate=0.01] [--guardrail latency:p99=0.2] [--method sequential|fixed|bayesian]
        [--alpha 0.05] [--interval 60s] [--min-sample-size 100] [--min-duration 1h] [--max-duration 14d]
        [--auto-apply] [--unit-type user] [--description TEXT]
        [--shadow mirror=2:0.1] [--canary-step 0.1 --canary-max-weight 0.5]
      A variant is NAME=VERSION[:WEIGHT] or NAME=@ALIAS[:WEIGHT]; the first (or --control) is the
      control; a shadow gets RATE of the requests copied. Creates the experiment as a draft.
  verdict experiment list [--model MODEL] [--team TEAM] [--state draft|running|paused|stopped|concluded]
  verdict experiment show ID                 (definition, variants, decisions)
  verdict experiment start ID [--reason TEXT]
  verdict experiment pause ID [--reason TEXT]
  verdict experiment promote ID [VARIANT] [--alias production] [--reason TEXT]
      Concludes with VARIANT (default: the only treatment) as the winner and moves the model's
      alias to its version in the registry.
  verdict experiment rollback ID --reason TEXT
      Concludes with the control as the winner: all traffic back to control.
  verdict experiment results ID [--since ISO-TIME] [--until ISO-TIME]
      Per variant and metric: n, mean and CI, lift against control and its CI, p-value, chance
      to beat control, significance; the sample-ratio-mismatch check and shadow comparisons.
  verdict experiment replay --data FILE.jsonl --model NAME --variants 1,2 [--address 127.0.0.1:50052]
        [--concurrency 8]
      Offline evaluation: every labelled row ({"text"|"features", "label"}) on every version, on
      a model server; accuracy, log-loss and latency with intervals and differences (see
      docs/experiments.md).

Talks to the experiment-analyzer over mutual TLS with the local user's certificate; --json
prints proto JSON for scripts instead of tables. Exit codes: 0 done, 1 refused or failed
(the analyzer's message and status are printed), 2 bad usage.`;

/** Flags of `verdict experiment ...`. */
export interface ExperimentFlags extends DefinitionFlags, ReplayFlags {
  address?: string;
  pki?: string;
  state?: string;
  alias?: string;
  reason?: string;
  since?: string;
  until?: string;
  json?: boolean;
  help?: boolean;
}

type Subcommand = (
  client: ExperimentClient,
  args: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) => Promise<number>;

/** Subcommand -> [handler, least positionals, most positionals]. */
const SUBCOMMANDS: Record<string, [Subcommand, number, number]> = {
  create: [createCommand, 0, 0],
  list: [listCommand, 0, 0],
  show: [showCommand, 1, 1],
  start: [startCommand, 1, 1],
  pause: [pauseCommand, 1, 1],
  promote: [promoteCommand, 1, 2],
  rollback: [rollbackCommand, 1, 1],
  results: [resultsCommand, 1, 1],
};

/**
 * Runs `verdict experiment <subcommand> ...`; `args` are the positionals after `experiment`.
 * An analyzer refusal prints its message and status name, exit 1; bad usage exits 2.
 */
export async function experimentCommand(
  args: readonly string[],
  flags: ExperimentFlags,
  io: ModelIo = { out: process.stdout, err: process.stderr },
): Promise<CommandResult> {
  const [sub, ...rest] = args;
  // Replay talks to model servers, not the analyzer.
  if (sub === 'replay' && flags.help !== true) return replayCommand(flags, io);
  const entry = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (flags.help === true || entry === undefined) {
    const asked = flags.help === true || sub === undefined;
    (asked ? io.out : io.err).write(`${EXPERIMENT_USAGE}\n`);
    return { exitCode: asked ? 0 : 2 };
  }
  const [run, least, most] = entry;
  if (rest.length < least || rest.length > most) {
    const expected = least === most ? `${least}` : `${least} to ${most}`;
    io.err.write(
      `verdict experiment ${sub}: expected ${expected} argument(s)\n\n${EXPERIMENT_USAGE}\n`,
    );
    return { exitCode: 2 };
  }
  const client = connectExperiments(flags);
  try {
    return { exitCode: await run(client, rest, flags, io) };
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`verdict experiment ${sub}: ${error.message}\n`);
      return { exitCode: 2 };
    }
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`verdict experiment ${sub}: ${message}\n`);
    return { exitCode: 1 };
  } finally {
    client.close();
  }
}

const writeJson = (io: ModelIo, value: unknown) => io.out.write(`${JSON.stringify(value)}\n`);

function oneLine(e: experimentsV1.Experiment): string {
  return `experiment ${e.id} (${e.name} on ${e.model}, ${kindOf(e.kind)}): ${stateOf(e.state)}; ${variantSummary(e)}\n`;
}

async function createCommand(
  client: ExperimentClient,
  _args: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const definition = await experimentDefinition(flags);
  const { experiment } = await client.createExperiment({ experiment: definition });
  if (flags.json === true) writeJson(io, { experiment: experimentJson.experiment(experiment!) });
  else io.out.write(`created ${oneLine(experiment!)}`);
  return 0;
}

const STATES: Record<string, experimentsV1.ExperimentState> = {
  draft: experimentsV1.ExperimentState.DRAFT,
  running: experimentsV1.ExperimentState.RUNNING,
  paused: experimentsV1.ExperimentState.PAUSED,
  stopped: experimentsV1.ExperimentState.STOPPED,
  concluded: experimentsV1.ExperimentState.CONCLUDED,
};

async function listCommand(
  client: ExperimentClient,
  _args: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const state =
    flags.state === undefined ? experimentsV1.ExperimentState.UNSPECIFIED : STATES[flags.state];
  if (state === undefined) {
    throw new UsageError(
      `--state: expected one of ${Object.keys(STATES).join(', ')}, got "${flags.state}"`,
    );
  }
  const experiments: experimentsV1.Experiment[] = [];
  let pageToken = '';
  do {
    const page = await client.listExperiments({
      model: flags.model ?? '',
      team: flags.team ?? '',
      state,
      pageToken,
    });
    experiments.push(...page.experiments);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  if (flags.json === true) {
    writeJson(io, { experiments: experiments.map(experimentJson.experiment) });
  } else {
    io.out.write(listTable(experiments));
  }
  return 0;
}

/** Every decision of an experiment, newest first. */
async function allDecisions(client: ExperimentClient, experimentId: string) {
  const decisions: experimentsV1.Decision[] = [];
  let pageToken = '';
  do {
    const page = await client.listDecisions({ experimentId, pageToken });
    decisions.push(...page.decisions);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return decisions;
}

async function showCommand(
  client: ExperimentClient,
  [id]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const { experiment } = await client.getExperiment({ id });
  const decisions = await allDecisions(client, id);
  if (flags.json === true) {
    writeJson(io, {
      experiment: experimentJson.experiment(experiment!),
      decisions: decisions.map(experimentJson.decision),
    });
  } else {
    io.out.write(showText(experiment!, decisions));
  }
  return 0;
}

async function startCommand(
  client: ExperimentClient,
  [id]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const { experiment } = await client.startExperiment({ id, reason: flags.reason ?? '' });
  if (flags.json === true) writeJson(io, { experiment: experimentJson.experiment(experiment!) });
  else io.out.write(oneLine(experiment!));
  return 0;
}

async function pauseCommand(
  client: ExperimentClient,
  [id]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const { experiment } = await client.pauseExperiment({ id, reason: flags.reason ?? '' });
  if (flags.json === true) writeJson(io, { experiment: experimentJson.experiment(experiment!) });
  else io.out.write(oneLine(experiment!));
  return 0;
}

function writeConclusion(
  io: ModelIo,
  flags: ExperimentFlags,
  response: experimentsV1.ConcludeExperimentResponse,
) {
  const { experiment, decision } = response;
  if (flags.json === true) {
    writeJson(io, {
      experiment: experimentJson.experiment(experiment!),
      ...(decision ? { decision: experimentJson.decision(decision) } : {}),
    });
    return;
  }
  io.out.write(oneLine(experiment!));
  if (decision !== undefined) {
    io.out.write(
      `decision ${decision.id}: ${experimentsV1.DecisionAction[decision.action]?.toLowerCase() ?? decision.action} ` +
        `${decision.variant || '-'} (routing table ${decision.routingTableVersion || 'unchanged'}): ${decision.reason}\n`,
    );
  }
}

async function promoteCommand(
  client: ExperimentClient,
  [id, variant]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  let winner = variant;
  if (winner === undefined) {
    const { experiment } = await client.getExperiment({ id });
    const treatments = experiment!.variants.filter(
      (v) => v.role === experimentsV1.VariantRole.TREATMENT,
    );
    if (treatments.length !== 1) {
      throw new UsageError(
        `VARIANT: expected the variant to promote, one of ${experiment!.variants.map((v) => v.name).join(', ')} ` +
          `(the experiment has ${treatments.length} treatments)`,
      );
    }
    winner = treatments[0].name;
  }
  const response = await client.concludeExperiment({
    id,
    winner,
    promote: true,
    alias: flags.alias ?? '',
    reason: flags.reason ?? `promoted ${winner} by hand`,
  });
  writeConclusion(io, flags, response);
  return 0;
}

async function rollbackCommand(
  client: ExperimentClient,
  [id]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  if (flags.reason === undefined || flags.reason.trim() === '') {
    throw new UsageError(
      '--reason: required, saying why traffic goes back to control (it is audited)',
    );
  }
  const { experiment } = await client.getExperiment({ id });
  const control = experiment!.variants.find((v) => v.role === experimentsV1.VariantRole.CONTROL);
  if (control === undefined) {
    io.err.write(`verdict experiment rollback: experiment ${id} has no control variant\n`);
    return 1;
  }
  const response = await client.concludeExperiment({
    id,
    winner: control.name,
    promote: false,
    reason: flags.reason,
  });
  writeConclusion(io, flags, response);
  return 0;
}

function parseTime(flag: string, value: string | undefined) {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--${flag}: expected an ISO 8601 time like 2026-01-31T12:00:00Z, got "${value}"`,
    );
  }
  return timestampFromDate(date);
}

async function resultsCommand(
  client: ExperimentClient,
  [id]: string[],
  flags: ExperimentFlags,
  io: ModelIo,
) {
  const { results } = await client.getResults({
    experimentId: id,
    startTime: parseTime('since', flags.since),
    endTime: parseTime('until', flags.until),
  });
  if (flags.json === true) writeJson(io, { results: experimentJson.results(results!) });
  else io.out.write(resultsText(results!));
  return 0;
}
