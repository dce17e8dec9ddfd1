/**
 * `npm run bench -w @verdict/bench -- stats-aa [--quick]`: A/A experiments of every kind, metric
 * type and drift through the analyzer's decision path (computeResults + evaluatePolicy), with
 * the rate of any PROMOTE or ROLLBACK and of SRM alarms and their Wilson intervals; the
 * fixed-horizon method under the same looks for contrast; power and median stopping time of
 * the sequential test for a stated effect. Environment: STATS_AA_REPLICATIONS (default 2000),
 * STATS_AA_LOOK_HOURS (hours between evaluations, default 24), STATS_AA_DAYS (default 30);
 * STATS_AA_KINDS (e.g. "bandit") and STATS_AA_CONTRASTS=0 run a part, so that parts can run in
 * parallel processes.
 */
import { experimentsV1 } from '@verdict/proto';
import {
  aaScenarios,
  simulate,
  wilson,
  type Scenario,
} from '../../apps/experiment-analyzer/src/decisions/aa-simulation';
import { quantile } from './stats';

const { DecisionMethod } = experimentsV1;

/** Runs the A/A scenarios, the fixed-horizon contrast and the power scenario. */
export async function runStatsAaBench(options: { quick: boolean }): Promise<object> {
  const replications = options.quick ? 100 : Number(process.env.STATS_AA_REPLICATIONS ?? 2000);
  const lookHours = Number(process.env.STATS_AA_LOOK_HOURS ?? 24);
  const days = Number(process.env.STATS_AA_DAYS ?? 30);
  const settings = { replications, lookHours, days, unitsPerHour: 100 };
  const row = (s: Scenario, seed: number) => {
    const started = Date.now();
    const r = simulate(s, { ...settings, seed });
    const out = {
      kind: s.kind,
      metric: s.metric,
      drift: s.drift,
      method: DecisionMethod[s.method],
      effect: s.effect,
      decided: r.decided,
      decided_rate: r.decided / r.replications,
      decided_ci: wilson(r.decided, r.replications),
      promotions: r.promotions,
      rollbacks: r.rollbacks,
      srm_alarms: r.srmAlarms,
      srm_rate_ci: wilson(r.srmAlarms, r.replications),
      median_stopping_hours: r.stoppingHours.length > 0 ? quantile(r.stoppingHours, 0.5) : null,
      seconds: (Date.now() - started) / 1000,
    };
    process.stderr.write(`${JSON.stringify(out)}\n`);
    return out;
  };
  const kinds = (process.env.STATS_AA_KINDS ?? 'ab,canary,bandit').split(',');
  const aa = aaScenarios()
    .map((s, i) => ({ s, seed: 1000 + i }))
    .filter(({ s }) => kinds.includes(s.kind))
    .map(({ s, seed }) => row(s, seed));
  if (process.env.STATS_AA_CONTRASTS === '0') return { settings, aa };
  const fixed = [false, true].map((drift, i) =>
    row(
      { kind: 'ab', metric: 'proportion', drift, effect: 0, method: DecisionMethod.FIXED },
      2000 + i,
    ),
  );
  const banditFixed = row(
    { kind: 'bandit', metric: 'proportion', drift: true, effect: 0, method: DecisionMethod.FIXED },
    2100,
  );
  const power = row(
    {
      kind: 'ab',
      metric: 'proportion',
      drift: false,
      effect: 0.1,
      method: DecisionMethod.SEQUENTIAL,
    },
    3000,
  );
  return { settings, aa, fixed: [...fixed, banditFixed], power };
}
