/**
 * Per-unit sums of ratio metrics, turned into increments of the sufficient statistics the delta
 * method needs (n units, ΣY, ΣY², ΣX, ΣX², ΣXY over units). A unit's Y and X grow outcome by
 * outcome, so each outcome adds the change of the unit's terms: Y → Y + δ adds δ to ΣY,
 * 2Yδ + δ² to ΣY² and Xδ to ΣXY. Summed over windows the increments give the totals exactly.
 * Units are remembered up to a bound; a forgotten unit that reports again starts over as a new
 * unit (its sums split in two, which biases the variance down only for that unit).
 */
import { BoundedMap } from './bounded-map';
import type { CupedCell } from './pending';

interface UnitSums {
  y: number;
  x: number;
}

/** The running (Y, X) of each (experiment, ratio metric, unit). */
export class RatioSums {
  private readonly units: BoundedMap<string, UnitSums>;

  constructor(capacity: number) {
    this.units = new BoundedMap(capacity);
  }

  /** Adds `value` to the unit's numerator (`y`) or denominator (`x`) and the cell's sums. */
  add(cell: CupedCell, key: string, part: 'y' | 'x', value: number): void {
    let sums = this.units.get(key);
    if (sums === undefined) {
      sums = { y: 0, x: 0 };
      this.units.set(key, sums);
      cell.n++;
    }
    if (part === 'y') {
      cell.sumY += value;
      cell.sumYSquares += 2 * sums.y * value + value * value;
      cell.sumXY += sums.x * value;
      sums.y += value;
    } else {
      cell.sumX += value;
      cell.sumXSquares += 2 * sums.x * value + value * value;
      cell.sumXY += sums.y * value;
      sums.x += value;
    }
  }
}
