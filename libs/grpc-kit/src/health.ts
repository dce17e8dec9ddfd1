import { EventEmitter, on } from 'node:events';
import { NotFoundError } from '@verdict/errors';
import { health } from '@verdict/proto';
import type { ServiceImpl } from './types';

type ServingStatus = health.HealthCheckResponse_ServingStatus;
const Status = health.HealthCheckResponse_ServingStatus;

/** What a service reports about itself. */
export type HealthStatus = 'SERVING' | 'NOT_SERVING';

/** grpc.health.v1 for one server: Check and Watch over a status board. */
export interface HealthService {
  readonly service: typeof health.Health;
  readonly impl: ServiceImpl<(typeof health.Health)['method']>;
  /** Makes a service name known (NOT_SERVING until set). */
  register(name: string): void;
  set(name: string, status: HealthStatus): void;
  /** Sets the server ('') and every registered service. */
  setAll(status: HealthStatus): void;
  /** Reports NOT_SERVING everywhere, then ends every Watch stream so shutdown can drain. */
  shutdown(): void;
}

const CHANGED = 'changed';
const CLOSED = 'closed';

export function createHealthService(): HealthService {
  const statuses = new Map<string, ServingStatus>([['', Status.NOT_SERVING]]);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let closed = false;

  const toStatus = (status: HealthStatus) =>
    status === 'SERVING' ? Status.SERVING : Status.NOT_SERVING;

  const board: HealthService = {
    service: health.Health,
    register(name) {
      if (!statuses.has(name)) statuses.set(name, Status.NOT_SERVING);
    },
    set(name, status) {
      statuses.set(name, toStatus(status));
      events.emit(CHANGED, name);
    },
    setAll(status) {
      for (const name of statuses.keys()) board.set(name, status);
    },
    shutdown() {
      board.setAll('NOT_SERVING');
      closed = true;
      events.emit(CLOSED);
    },
    impl: {
      check(request) {
        const status = statuses.get(request.service);
        if (status === undefined) {
          throw new NotFoundError({
            kind: 'service',
            resource: request.service,
            available: [...statuses.keys()].filter(Boolean),
          });
        }
        return { status };
      },
      async *watch(request, context) {
        const current = () => statuses.get(request.service) ?? Status.SERVICE_UNKNOWN;
        let last = current();
        yield { status: last };
        if (closed) return;
        const stop = new AbortController();
        const onAbort = () => stop.abort();
        context.signal.addEventListener('abort', onAbort);
        events.once(CLOSED, onAbort);
        try {
          for await (const [name] of on(events, CHANGED, { signal: stop.signal })) {
            if (name !== request.service || current() === last) continue;
            last = current();
            yield { status: last };
          }
        } catch (error) {
          if ((error as Error).name !== 'AbortError') throw error;
        } finally {
          context.signal.removeEventListener('abort', onAbort);
          events.off(CLOSED, onAbort);
        }
        // A change emitted just before shutdown may not have been delivered by the loop.
        if (!context.signal.aborted && current() !== last) yield { status: current() };
      },
    },
  };
  return board;
}
