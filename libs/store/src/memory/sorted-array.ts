/**
 * Index of the first element of a sorted array that is not less than `probe` (binary search).
 */
export function lowerBound<T, P>(
  array: readonly T[],
  probe: P,
  compare: (element: T, probe: P) => number,
): number {
  let low = 0;
  let high = array.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(array[middle]!, probe) < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/** Index of the first element of a sorted array that is greater than `probe`. */
export function upperBound<T, P>(
  array: readonly T[],
  probe: P,
  compare: (element: T, probe: P) => number,
): number {
  let low = 0;
  let high = array.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(array[middle]!, probe) <= 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}
