// Hot loops read these module-level aliases: under Jest's vm sandbox each global lookup
// (`Math`, `Float64Array`) costs an interceptor call (docs/decisions.md#measured-costs-behind-code-choices).
const { floor, imul } = Math;

/**
 * A seeded pseudo-random source. Every weight, split and shuffle in the zoo comes from one of
 * these, so the same seed gives byte-identical models on every machine.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A float in [low, high). */
  uniform(low: number, high: number): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
}

/**
 * Mulberry32: 32-bit state, integer-only arithmetic (`Math.imul`), so its sequence does not
 * depend on the platform's floating point; good enough for initialisation and shuffling.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    int: (bound) => floor(next() * bound),
  };
}

/** Fisher-Yates shuffle of `items` in place, driven by `random`; returns `items`. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const held = items[i];
    items[i] = items[j];
    items[j] = held;
  }
  return items;
}
