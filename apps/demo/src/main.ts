import { randomBytes } from 'node:crypto';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { cliClient, describeRpcFailure, readCliEnvironment } from '@verdict/cli/environment';
import { createSpamFeaturizer, spamHeldOutMessages } from '@verdict/model-zoo';
import { driftV1, experimentsV1, inference } from '@verdict/proto';
import { argmax, demoCopy, DEMO_POLICY_MS, shiftedText, VariantTally } from './demo-plan';
import { DEMO_HELP, demoOptions, DemoUsageError, type DemoOptions } from './demo-options';

const MODEL = 'spam';
const UNIT_HEADER = 'x-verdict-unit';
const log = (line: string) => process.stderr.write(`demo: ${line}\n`);

/** The clients the demo calls, over mutual TLS as the local user. */
function connect(options: DemoOptions) {
  const at = (address: string) => ({ address, pkiDir: options.pkiDir });
  return {
    router: cliClient(inference.GRPCInferenceService, at(options.router)),
    experiments: cliClient(experimentsV1.ExperimentService, at(options.analyzer)),
    ingest: cliClient(experimentsV1.IngestService, at(options.analyzer)),
    drift: cliClient(driftV1.DriftService, at(options.analyzer)),
  };
}

/** The command line and the environment, or an exit: help, or one line saying what is wrong. */
function setup() {
  try {
    const parsed = demoOptions(process.argv.slice(2), readCliEnvironment());
    if (parsed === 'help') {
      process.stdout.write(`${DEMO_HELP}\n`);
      process.exit(0);
    }
    return { options: parsed, ...connect(parsed) };
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof DemoUsageError ? 2 : 1);
  }
}

const { options, router, experiments, ingest, drift } = setup();
const users = options.users;
const concurrency = options.concurrency;
const outcomeDelayMs = options.outcomeDelayMs;
const run = randomBytes(4).toString('hex');

/** Outcomes waiting for their (simulated) delay, then sent in batches. */
const pendingOutcomes: Array<{ due: number; outcome: experimentsV1.Outcome }> = [];
let outcomesSent = 0;

async function sendDueOutcomes(all = false): Promise<void> {
  const now = Date.now();
  const due = pendingOutcomes.filter((entry) => all || entry.due <= now);
  if (due.length === 0) return;
  pendingOutcomes.splice(0, due.length);
  await ingest.recordOutcomes({ outcomes: due.map((entry) => entry.outcome) });
  outcomesSent += due.length;
}

/** Sends requests from `rows` through the router until `done()` holds. */
async function traffic(
  rows: Float32Array,
  width: number,
  labels: readonly number[],
  experimentId: string,
  tally: VariantTally,
  done: () => boolean,
): Promise<number> {
  let sent = 0;
  const worker = async () => {
    while (!done()) {
      const index = Math.floor(Math.random() * labels.length);
      const unit = `user-${Math.floor(Math.random() * users)}`;
      const id = `demo-${run}-${sent++}`;
      const row = rows.subarray(index * width, (index + 1) * width);
      let trailers: Record<string, string> = {};
      const answer = await router.modelInfer(
        {
          modelName: MODEL,
          id,
          inputs: [{ name: 'features', datatype: 'FP32', shape: [1n, BigInt(width)] }],
          rawInputContents: [new Uint8Array(row.buffer, row.byteOffset, row.byteLength)],
        },
        { headers: { [UNIT_HEADER]: unit }, onTrailer: (received) => (trailers = received) },
      );
      const raw = answer.rawOutputContents[0];
      const probabilities = new Float32Array(
        raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
      );
      const right = argmax(probabilities) === labels[index];
      if (trailers['x-verdict-experiment'] !== experimentId) continue;
      tally.add(trailers['x-verdict-variant'] ?? '?', right);
      pendingOutcomes.push({
        due: Date.now() + outcomeDelayMs,
        outcome: {
          $typeName: 'verdict.experiments.v1.Outcome',
          eventId: `outcome-${id}`,
          subject: { case: 'requestId', value: id },
          experimentId,
          metric: 'correct',
          value: right ? 1 : 0,
          time: timestampFromDate(new Date()),
        },
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

/** Stops the experiments now routing spam and starts a copy of the seeded one on the demo's clock. */
async function startDemoExperiment(): Promise<experimentsV1.Experiment> {
  const { experiments: onSpam } = await experiments.listExperiments({
    model: MODEL,
    pageSize: 100,
  });
  const template =
    onSpam.find((experiment) => experiment.name === 'spam-v2-vs-v1') ?? onSpam.at(-1);
  if (template === undefined) {
    throw new Error('no experiment on spam: start the stack with `npm start`, which seeds one');
  }
  for (const experiment of onSpam) {
    const live =
      experiment.state === experimentsV1.ExperimentState.RUNNING ||
      experiment.state === experimentsV1.ExperimentState.PAUSED;
    if (!live) continue;
    await experiments.stopExperiment({ id: experiment.id, reason: 'superseded by npm run demo' });
    log(
      `stopped experiment ${experiment.name} (${experiment.id}) so the demo's copy gets every unit`,
    );
  }
  const name = `spam-demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const { experiment } = await experiments.createExperiment({
    experiment: demoCopy(template, name),
  });
  const started = await experiments.startExperiment({ id: experiment!.id, reason: 'npm run demo' });
  return started.experiment!;
}

async function latestDecision(experimentId: string) {
  const { decisions } = await experiments.listDecisions({ experimentId, pageSize: 20 });
  return decisions.find((d) => d.action !== experimentsV1.DecisionAction.CONTINUE) ?? decisions[0];
}

async function main(): Promise<number> {
  const started = Date.now();
  log('featurizing the held-out SpamAssassin messages (never seen in training)');
  const featurizer = createSpamFeaturizer();
  const width = featurizer.options.buckets;
  const messages = spamHeldOutMessages();
  const labels = messages.map((message) => message.label);
  const normal = featurizer.featurizeBatch(messages.map((message) => message.text));
  const shifted = featurizer.featurizeBatch(messages.map((message) => shiftedText(message.text)));

  const experiment = await startDemoExperiment();
  const variants = experiment.variants.map((v) => `${v.name} = spam:${v.target.value}`).join(', ');
  log(`experiment ${experiment.name} (${experiment.id}) running: ${variants}`);
  log(
    `policy for the demo: checked every ${DEMO_POLICY_MS.interval / 1000} s, promotion from ${DEMO_POLICY_MS.minDuration / 1000} s, "no difference" at ${DEMO_POLICY_MS.maxDuration / 1000} s`,
  );
  log(
    `${messages.length} messages, ${users} simulated users, outcomes reported ${outcomeDelayMs} ms after each answer`,
  );

  const tally = new VariantTally();
  let decided: experimentsV1.Experiment | undefined;
  const outcomeTimer = setInterval(
    () => void sendDueOutcomes().catch((e) => log(`outcomes: ${e}`)),
    500,
  );
  const watch = setInterval(() => {
    void experiments
      .getExperiment({ id: experiment.id })
      .then(async ({ experiment: now }) => {
        const decision = await latestDecision(experiment.id);
        log(
          `${Math.round((Date.now() - started) / 1000)} s: ${tally.summary() || 'waiting for the router to pick up the table'}; ` +
            `${outcomesSent} outcomes; state ${experimentsV1.ExperimentState[now!.state]}` +
            (decision
              ? `; last decision ${experimentsV1.DecisionAction[decision.action]}: ${decision.reason}`
              : ''),
        );
        const state = now!.state;
        if (
          state === experimentsV1.ExperimentState.CONCLUDED ||
          state === experimentsV1.ExperimentState.STOPPED
        )
          decided = now;
      })
      .catch((error) => log(`status: ${error}`));
  }, 5_000);
  const phaseOneLimit = started + DEMO_POLICY_MS.maxDuration + 60_000;
  await traffic(
    normal,
    width,
    labels,
    experiment.id,
    tally,
    () => decided !== undefined || Date.now() > phaseOneLimit,
  );
  clearInterval(watch);

  const decision = await latestDecision(experiment.id);
  if (decided === undefined || decision === undefined) {
    log('the experiment was not decided in time');
    return 1;
  }
  const treatment = experiment.variants.find(
    (v) => v.role === experimentsV1.VariantRole.TREATMENT,
  )!.name;
  const control = experiment.variants.find(
    (v) => v.role === experimentsV1.VariantRole.CONTROL,
  )!.name;
  const action = experimentsV1.DecisionAction[decision.action];
  log(
    `DECIDED: ${action}${decided.winner ? ` (winner ${decided.winner})` : ''}: ${decision.reason}`,
  );
  log(`what the demo saw: ${tally.summary()}`);
  const better = tally.accuracy(treatment) > tally.accuracy(control) ? treatment : control;
  log(
    `on the held-out data ${better} was right more often; ` +
      (decision.action === experimentsV1.DecisionAction.PROMOTE
        ? `the analyzer promoted ${decision.variant || decided.winner}`
        : decision.action === experimentsV1.DecisionAction.NO_DIFFERENCE
          ? 'the analyzer found the difference too small to be sure of at this sample size'
          : `the analyzer acted: ${action}`),
  );

  log(
    'phase 2: the input distribution shifts (a gateway appends a long disclaimer to every message); waiting for a drift alert',
  );
  const driftStart = new Date();
  let alert: driftV1.DriftAlert | undefined;
  const alertWatch = setInterval(() => {
    void drift
      .listDriftAlerts({ model: MODEL, pageSize: 10 })
      .then(({ alerts }) => {
        alert = alerts.find((a) => a.time !== undefined && timestampDate(a.time) >= driftStart);
      })
      .catch((error) => log(`drift alerts: ${error}`));
  }, 2_000);
  const driftLimit = Date.now() + 120_000;
  await traffic(
    shifted,
    width,
    labels,
    experiment.id,
    new VariantTally(),
    () => alert !== undefined || Date.now() > driftLimit,
  );
  clearInterval(alertWatch);
  clearInterval(outcomeTimer);
  await sendDueOutcomes(true);
  if (alert === undefined) {
    log('no drift alert within 2 minutes of the shift');
    return 1;
  }
  log(
    `DRIFT ALERT on ${alert.model}:${alert.version}: ${alert.features.map((f) => `${f.feature} PSI ${f.psi.toFixed(2)}`).join(', ')}`,
  );
  log(
    `done in ${Math.round((Date.now() - started) / 1000)} s; see \`verdict experiment results ${experiment.id}\` and \`verdict drift alerts\``,
  );
  process.stdout.write(
    `${JSON.stringify({ demo: 'spam', experiment: experiment.id, decision: action, winner: decided.winner, accuracy: Object.fromEntries([control, treatment].map((v) => [v, tally.accuracy(v)])), answered: Object.fromEntries([control, treatment].map((v) => [v, tally.answered.get(v) ?? 0])), correct: Object.fromEntries([control, treatment].map((v) => [v, tally.correct.get(v) ?? 0])), drift_alert: alert.id, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
  );
  return 0;
}

main()
  .then((code) => {
    router.close();
    experiments.close();
    ingest.close();
    drift.close();
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    log(describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error)));
    process.exitCode = 1;
    router.close();
    experiments.close();
    ingest.close();
    drift.close();
  });
