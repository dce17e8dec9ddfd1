import { clone } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable } from '@verdict/routing';
import type { PoolConfig } from '../config';
import { buildRoutingTable } from '../routing/build-table';

const ROUTE_PATH = /^models\[0\]\.experiments\[0\]/;

/**
 * Checks that routers would accept the route this experiment makes, by compiling a table that
 * holds only it (running) with the routers' own library: whatever the analyzer stores, the
 * tables it builds from it compile.
 * @throws InvalidArgumentError naming the field, as `experiment.<path in the route>`
 */
export function checkRoutable(experiment: experimentsV1.Experiment, pools: readonly PoolConfig[]) {
  const running = clone(experimentsV1.ExperimentSchema, experiment);
  running.state = experimentsV1.ExperimentState.RUNNING;
  running.id ||= 'candidate';
  running.salt ||= 'candidate';
  try {
    compileRoutingTable(
      buildRoutingTable({
        version: 1n,
        now: new Date(0),
        pools,
        experiments: [running],
        previous: undefined,
      }),
    );
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    // Compiler paths start at the table; the bucket layout's at the variant list.
    const field = error.field
      .replace(ROUTE_PATH, 'experiment')
      .replace(/^variants\[/, 'experiment.variants[');
    throw new InvalidArgumentError({
      field,
      expected: `${error.expected} (as routers read the experiment's route)`,
      received: error.received,
    });
  }
}
