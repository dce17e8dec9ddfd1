import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { driftV1, experimentsV1 } from '@verdict/proto';
import { startStack, type Stack } from './harness';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..', '..');

/** The JSON line `npm run demo` prints last. */
interface DemoResult {
  experiment: string;
  decision: 'PROMOTE' | 'ROLLBACK' | 'NO_DIFFERENCE';
  winner: string;
  answered: Record<string, number>;
  correct: Record<string, number>;
  drift_alert: string;
  seconds: number;
}

/**
 * `npm run demo` against the stack `npm start` runs: held-out SpamAssassin traffic through the
 * router, delayed ground-truth outcomes, the analyzer deciding the experiment by itself, then an
 * input shift that raises a drift alert. The decision must agree with what the data says.
 */
describe('npm run demo', () => {
  let stack: Stack | undefined;

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('ends with the experiment decided as the data says and a drift alert raised', async () => {
    stack = await startStack();
    const { stdout } = await run(
      'npm',
      [
        'run',
        'demo',
        '--',
        '--router',
        stack.grpc.router,
        '--analyzer',
        stack.grpc['experiment-analyzer'],
        '--pki',
        stack.pkiDir,
      ],
      // The demo's own limit is about 4 minutes; a stuck demo fails here.
      { cwd: REPO, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as DemoResult;
    const [control, treatment] = Object.keys(result.answered);
    // Each variant answered thousands of held-out messages.
    expect(result.answered[control]).toBeGreaterThan(1000);
    expect(result.answered[treatment]).toBeGreaterThan(1000);
    const accuracy = (variant: string) => result.correct[variant] / result.answered[variant];
    const better = accuracy(treatment) > accuracy(control) ? treatment : control;
    if (result.decision === 'PROMOTE') {
      // A promotion names the variant that was right more often.
      expect(result.winner).toBe(better);
    } else if (result.decision === 'ROLLBACK') {
      // A rollback sends traffic back to control.
      expect(result.winner).toBe(control);
    }

    const experiments = stack.client('experiment-analyzer', experimentsV1.ExperimentService);
    const drift = stack.client('experiment-analyzer', driftV1.DriftService);
    try {
      const { experiment } = await experiments.getExperiment({ id: result.experiment });
      expect(experiment?.state).toBe(experimentsV1.ExperimentState.CONCLUDED);
      const { decisions } = await experiments.listDecisions({ experimentId: result.experiment });
      const decision = decisions.find(
        (d) => experimentsV1.DecisionAction[d.action] === result.decision,
      );
      expect(decision).toBeDefined();
      // The analyzer measured what the demo saw: its rates, from the outcomes it attributed,
      // are the demo's own tallies of right answers (within 1 point: the last outcomes of the
      // run may arrive after the decision).
      expect(Math.abs(decision!.numbers.control_mean - accuracy(control))).toBeLessThan(0.01);
      expect(Math.abs(decision!.numbers.treatment_mean - accuracy(treatment))).toBeLessThan(0.01);
      if (result.decision === 'NO_DIFFERENCE') {
        // No winner only when its always-valid (sequential) test, the one the demo experiment
        // uses, had not found the difference at the policy's alpha. (A fixed-horizon z-test on
        // the same counts may call a 0.3-point difference significant: it is not valid after
        // the many looks the analyzer took.)
        expect(decision!.numbers.p_value).toBeGreaterThanOrEqual(0.05);
      }
      const { alerts } = await drift.listDriftAlerts({ model: 'spam' });
      expect(alerts.map((alert) => alert.id)).toContain(result.drift_alert);
    } finally {
      experiments.close();
      drift.close();
    }
  }, 420_000);
});
