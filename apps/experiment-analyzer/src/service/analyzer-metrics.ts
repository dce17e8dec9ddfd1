import { experimentsV1 } from '@verdict/proto';
import { Counter, Gauge, type Registry } from '@verdict/telemetry';

/** The analyzer's own metrics, beside the kit's RPC metrics. */
export interface AnalyzerMetrics {
  /** The routing table in force, as this replica last saw it. */
  tableVersion(version: bigint): void;
  /** Experiments per state, from every stored experiment. */
  experiments(all: readonly experimentsV1.Experiment[]): void;
  /** A decision recorded (applied, or a recommendation). */
  decision(decision: experimentsV1.Decision): void;
}

/** Registers the analyzer's metrics on `registry`. */
export function createAnalyzerMetrics(registry: Registry): AnalyzerMetrics {
  const version = new Gauge({
    name: 'verdict_analyzer_routing_table_version',
    help: 'Version of the routing table in force, as this replica last saw it',
    registers: [registry],
  });
  const states = new Gauge({
    name: 'verdict_analyzer_experiments',
    help: 'Experiments by state',
    labelNames: ['state'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'verdict_analyzer_decisions_total',
    help: 'Decisions recorded by this replica, by action and whether they were applied',
    labelNames: ['action', 'applied'],
    registers: [registry],
  });
  const stateNames = Object.entries(experimentsV1.ExperimentState).filter(
    ([name, value]) => typeof value === 'number' && name !== 'UNSPECIFIED',
  ) as [string, number][];
  return {
    tableVersion: (v) => version.set(Number(v)),
    experiments(all) {
      for (const [name, value] of stateNames) {
        states.set({ state: name }, all.filter((e) => e.state === value).length);
      }
    },
    decision(d) {
      decisions.inc({
        action: experimentsV1.DecisionAction[d.action] ?? String(d.action),
        applied: String(d.applied),
      });
    },
  };
}
