import { experimentCommand } from '../commands/experiment';
import type { ServiceName } from '../environment/service-addresses';
import { repeatable, requireOptions } from './options';
import { forwardingSubcommand, group, type Register } from './program';

/** `verdict experiment ...`: the experiment-analyzer; `replay` calls a model server. */
export const registerExperimentCommands: Register = (program, context) => {
  const experiment = group(
    program,
    'experiment',
    'experiments in the experiment-analyzer (docs/experiments.md)',
  ).addHelpText(
    'after',
    "\nExit codes: 0 done, 1 refused or failed (the service's message and status are printed), 2 bad usage.",
  );
  const sub = (name: string, description: string, service: ServiceName = 'experiment-analyzer') =>
    forwardingSubcommand(experiment, context, service, experimentCommand, name, description);

  sub(
    'create',
    'create an experiment as a draft, from --file (the Experiment message as proto3 JSON or YAML) or from flags',
  )
    .option('--file <experiment.yaml>', 'the whole definition; does not mix with the flags below')
    .option('--name <name>', 'experiment name')
    .option('--team <team>', 'owning team')
    .option('--model <model>', 'the model whose versions compete')
    .option('--kind <kind>', 'ab, canary, blue-green, shadow or bandit (default: ab)')
    .option(
      '--variant <name=target[:weight]>',
      'NAME=VERSION[:WEIGHT] or NAME=@ALIAS[:WEIGHT]; repeat it; the first is the control',
      repeatable,
    )
    .option('--control <name>', 'which variant is the control')
    .option('--pool <pool>', 'the pool every variant runs on (default: default)')
    .option('--metric <name>', 'primary metric, e.g. correct (required with flags)')
    .option('--metric-type <type>', 'binary or continuous')
    .option(
      '--guardrail <name[:pNN][=max]>',
      'e.g. error_rate=0.01, latency:p99=0.2; repeat it',
      repeatable,
    )
    .option('--method <method>', 'sequential, fixed or bayesian (default: sequential)')
    .option('--alpha <alpha>', 'significance level (default: 0.05)')
    .option('--interval <duration>', 'how often the analyzer decides (default: 60s)')
    .option('--min-sample-size <n>', 'per variant before a decision (default: 100)')
    .option('--min-duration <duration>', 'before a promotion, e.g. 1h')
    .option('--max-duration <duration>', 'then "no difference", e.g. 14d')
    .option('--auto-apply', "apply the analyzer's decisions by itself")
    .option('--unit-type <type>', 'what a unit is, e.g. user')
    .option('--description <text>', 'free text')
    .option(
      '--shadow <name=target:rate>',
      'a shadow variant getting RATE of requests copied; repeat it',
      repeatable,
    )
    .option('--canary-step <share>', "a canary's step, in (0, 1]")
    .option('--canary-max-weight <share>', "a canary's largest share, in (0, 1]");
  sub('list', 'experiments, newest first')
    .option('--model <model>', 'only this model')
    .option('--team <team>', 'only this team')
    .option('--state <state>', 'draft, running, paused, stopped or concluded');
  sub('show', 'definition, variants and decisions').argument('<id>');
  sub('start', 'start a draft or paused experiment')
    .argument('<id>')
    .option('--reason <text>', 'why (audited)');
  sub('pause', 'pause a running experiment')
    .argument('<id>')
    .option('--reason <text>', 'why (audited)');
  sub(
    'promote',
    "conclude with VARIANT (default: the only treatment) as the winner and move the model's alias to its version",
  )
    .argument('<id>')
    .argument('[variant]')
    .option('--alias <alias>', 'the alias to move (default: production)')
    .option('--reason <text>', 'why (audited)');
  sub('rollback', 'conclude with the control as the winner: all traffic back to control')
    .argument('<id>')
    .option('--reason <text>', 'why (required: it is audited)');
  sub(
    'results',
    'per variant and metric: n, mean and CI, lift and its CI, p-value, significance; the sample-ratio check; shadow comparisons',
  )
    .argument('<id>')
    .option('--since <time>', 'ISO 8601, e.g. 2026-01-31T00:00:00Z')
    .option('--until <time>', 'ISO 8601');
  requireOptions(
    sub(
      'replay',
      'offline evaluation on a model server: every labelled row on every version; accuracy, log-loss and latency with intervals and differences',
      'model-server',
    )
      .option(
        '--data <file.jsonl>',
        'one {"text"|"features", "label"} per line (`verdict dataset spam-held-out` prints one)',
      )
      .option('--model <name>', 'model name')
      .option('--variants <list>', 'versions to compare, e.g. 1,2')
      .option('--concurrency <n>', 'calls in flight (default: 8)')
      .option('--alpha <alpha>', 'for the intervals (default: 0.05)'),
    'data',
    'model',
    'variants',
  );
};
