import { FailedPreconditionError, UnavailableError } from '@verdict/errors';
import type { Pool } from '../pools/pool';
import type { RouterState } from '../table/router-state';

/**
 * The pool a request for `poolName` goes to. Without residency, that pool. With residency, only
 * pools of that region qualify: the named pool when it is in the region and healthy, else the
 * first healthy pool of the region in table order; none healthy fails FAILED_PRECONDITION
 * naming the region, and no pool is called.
 */
export function resolvePool(
  state: RouterState,
  poolName: string,
  model: string,
  residency: string | undefined,
  residencyHeader = 'x-verdict-residency',
): Pool {
  const pool = state.pools.get(poolName);
  if (pool === undefined) {
    // compileRoutingTable checks every variant's pool exists; this guards the invariant.
    throw new UnavailableError(`pool '${poolName}' is not in routing table ${state.table.version}`);
  }
  if (residency === undefined) return pool;
  const now = Date.now();
  if (pool.region === residency && pool.healthy(now)) return pool;
  for (const other of state.pools.values()) {
    if (other.region === residency && other.healthy(now)) return other;
  }
  throw new FailedPreconditionError(
    `no healthy pool in region '${residency}' (${residencyHeader}) for model '${model}'; the request was not sent elsewhere`,
  );
}
