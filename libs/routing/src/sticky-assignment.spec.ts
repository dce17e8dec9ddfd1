import { layoutBuckets } from './bucket-layout';
import { compileRoutingTable } from './compile-routing-table';
import { attributesFrom } from './request-attributes';
import { routeRequest } from './route-request';
import { abTable, experimentRoute } from './test-tables';

/**
 * The router issue's sticky-assignment acceptance test, through the whole pure path: weights
 * laid out with layoutBuckets, the table compiled, each unit routed by its x-verdict-unit.
 */

const UNITS = 100_000;

function tableFor(layout: ReadonlyMap<string, readonly { start: number; end: number }[]>) {
  const spans = (name: string) =>
    (layout.get(name) ?? []).map((span): [number, number] => [span.start, span.end]);
  return compileRoutingTable(
    abTable([
      experimentRoute({
        experimentId: 'exp-spam',
        salt: 'exp-spam-salt',
        variants: [
          { name: 'A', version: 1n, control: true, buckets: spans('A') },
          { name: 'B', version: 2n, buckets: spans('B') },
        ],
      }),
    ]),
  );
}

function assign(table: ReturnType<typeof tableFor>): string[] {
  const variants: string[] = [];
  for (let unit = 0; unit < UNITS; unit++) {
    const attrs = attributesFrom({
      headers: { 'x-verdict-unit': `user-${unit}` },
      requestId: `request-${unit}`,
    });
    variants.push(routeRequest(table, 'spam', attrs).variant.name);
  }
  return variants;
}

describe('sticky assignment of 100,000 units', () => {
  const fiftyFifty = layoutBuckets(undefined, [
    { name: 'A', weight: 50 },
    { name: 'B', weight: 50 },
  ]);
  const sixtyForty = layoutBuckets(fiftyFifty, [
    { name: 'A', weight: 60 },
    { name: 'B', weight: 40 },
  ]);
  const before = assign(tableFor(fiftyFifty));

  it('splits 50/50 within 0.5 percentage points', () => {
    const shareA = before.filter((variant) => variant === 'A').length / UNITS;
    expect(Math.abs(shareA - 0.5)).toBeLessThan(0.005);
  });

  it('gives the same unit the same variant every time, whatever the request id', () => {
    const table = tableFor(fiftyFifty);
    for (let unit = 0; unit < UNITS; unit += 97) {
      for (const requestId of ['r1', 'r2', '']) {
        const attrs = attributesFrom({ headers: { 'x-verdict-unit': `user-${unit}` }, requestId });
        expect(routeRequest(table, 'spam', attrs).variant.name).toBe(before[unit]);
      }
    }
  });

  it('moves only B units to A, about 10% of all units, when 50/50 becomes 60/40', () => {
    const after = assign(tableFor(sixtyForty));
    let aToB = 0;
    let bToA = 0;
    for (let unit = 0; unit < UNITS; unit++) {
      if (before[unit] === 'A' && after[unit] !== 'A') aToB++;
      if (before[unit] === 'B' && after[unit] === 'A') bToA++;
    }
    expect(aToB).toBe(0);
    expect(Math.abs(bToA / UNITS - 0.1)).toBeLessThan(0.005);
    const shareA = after.filter((variant) => variant === 'A').length / UNITS;
    expect(Math.abs(shareA - 0.6)).toBeLessThan(0.005);
  });
});
