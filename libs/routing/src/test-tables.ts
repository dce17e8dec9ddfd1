import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';

/** Test helpers: small valid routing tables built with the generated schemas. */

const { ExperimentKind } = experimentsV1;

export type VariantInit = {
  name: string;
  version?: bigint;
  pool?: string;
  control?: boolean;
  buckets: [number, number][];
};

export function routeVariant(init: VariantInit): experimentsV1.RouteVariant {
  return create(experimentsV1.RouteVariantSchema, {
    name: init.name,
    target: { case: 'version', value: init.version ?? 1n },
    pool: init.pool ?? 'default',
    control: init.control ?? false,
    buckets: init.buckets.map(([start, end]) => ({ start, end })),
  });
}

export function experimentRoute(
  init: Omit<
    MessageInitShape<typeof experimentsV1.ExperimentRouteSchema>,
    'variants' | '$typeName'
  > & {
    variants: VariantInit[];
  },
): experimentsV1.ExperimentRoute {
  return create(experimentsV1.ExperimentRouteSchema, {
    experimentId: 'exp-1',
    kind: ExperimentKind.AB,
    enabled: true,
    salt: 'salt-1',
    ...init,
    variants: init.variants.map(routeVariant),
  });
}

/** A 50/50 A/B test on "spam" (v1 control, v2 treatment) plus the "default" and "eu" pools. */
export function abTable(
  experiments: experimentsV1.ExperimentRoute[] = [
    experimentRoute({
      variants: [
        { name: 'control', version: 1n, control: true, buckets: [[0, 5000]] },
        { name: 'treatment', version: 2n, buckets: [[5000, 10000]] },
      ],
    }),
  ],
): experimentsV1.RoutingTable {
  return create(experimentsV1.RoutingTableSchema, {
    version: 7n,
    pools: [
      { name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] },
      { name: 'eu', region: 'eu-west', endpoints: ['10.0.0.1:50052', '[::1]:50052'] },
    ],
    models: [
      {
        model: 'spam',
        defaultVariant: routeVariant({ name: 'stable', version: 1n, buckets: [] }),
        experiments,
      },
    ],
  });
}
