import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';

/** Start of the test experiments: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/**
 * A running experiment for tests: control (weight 50) and treatment (weight 50), primary metric
 * "click" (binary, higher is better), sequential policy at alpha 0.05; anything can be overridden.
 */
export function testExperiment(
  overrides: MessageInitShape<typeof experimentsV1.ExperimentSchema> = {},
): experimentsV1.Experiment {
  const init: MessageInitShape<typeof experimentsV1.ExperimentSchema> = {
    id: 'exp-1',
    name: 'test',
    team: 'ml',
    model: 'spam',
    kind: experimentsV1.ExperimentKind.AB,
    state: experimentsV1.ExperimentState.RUNNING,
    variants: [
      { name: 'control', weight: 50, role: experimentsV1.VariantRole.CONTROL },
      { name: 'treatment', weight: 50, role: experimentsV1.VariantRole.TREATMENT },
    ],
    primaryMetric: {
      name: 'click',
      type: experimentsV1.MetricType.BINARY,
      direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
    },
    policy: {
      alpha: 0.05,
      method: experimentsV1.DecisionMethod.SEQUENTIAL,
      srmAlpha: 0.001,
      minSampleSize: 100n,
      minDuration: { seconds: 3600n },
      maxDuration: { seconds: 14n * 86400n },
    },
    version: 1n,
    startTime: timestampFromMs(T0),
  };
  return create(experimentsV1.ExperimentSchema, { ...init, ...overrides } as typeof init);
}

/** An exposure event. */
export function exposure(
  id: string,
  variant: string,
  unit: string,
  options: {
    request?: string;
    timeMs?: number;
    latencyUs?: number;
    status?: number;
    experiment?: string;
  } = {},
): experimentsV1.ExposureEvent {
  return create(experimentsV1.ExposureEventSchema, {
    eventId: id,
    experimentId: options.experiment ?? 'exp-1',
    variant,
    unitId: unit,
    requestId: options.request ?? `req-${id}`,
    time: timestampFromMs(options.timeMs ?? T0),
    latencyUs: BigInt(options.latencyUs ?? 1000),
    statusCode: options.status ?? 0,
  });
}

/** An outcome for a unit (or a request with `byRequest`). */
export function outcome(
  id: string,
  subject: string,
  metric: string,
  value: number,
  options: { byRequest?: boolean; timeMs?: number; experiment?: string } = {},
): experimentsV1.Outcome {
  return create(experimentsV1.OutcomeSchema, {
    eventId: id,
    subject: options.byRequest
      ? { case: 'requestId', value: subject }
      : { case: 'unitId', value: subject },
    experimentId: options.experiment ?? '',
    metric,
    value,
    time: timestampFromMs(options.timeMs ?? T0),
  });
}

export function exposures(events: experimentsV1.ExposureEvent[]) {
  return create(experimentsV1.RecordExposuresRequestSchema, { events });
}

export function outcomes(list: experimentsV1.Outcome[]) {
  return create(experimentsV1.RecordOutcomesRequestSchema, { outcomes: list });
}
