/**
 * A small seeded pseudo-random generator for simulations and Thompson sampling.
 *
 * Uniforms come from xoshiro128** (D. Blackman and S. Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47 (2021)), seeded through splitmix32 so that nearby seeds give unrelated
 * streams; normals from the Box-Muller transform; gammas from G. Marsaglia and W. W. Tsang, "A
 * simple method for generating gamma variables", ACM TOMS 26 (2000) 363-372; betas as a ratio of
 * gammas.
 */

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { PI, cos, imul, log, pow, sin, sqrt } = Math;

/** A seeded source of random numbers. */
export interface Random {
  /** A uniform number in [0, 1) with 32 random bits. */
  uniform(): number;
  /** A standard normal number. */
  normal(): number;
  /** A Gamma(shape, 1) number, shape > 0. */
  gamma(shape: number): number;
  /** A Beta(a, b) number. */
  beta(a: number, b: number): number;
  /** The number of successes in n Bernoulli(p) trials (n uniforms; meant for simulations). */
  binomial(n: number, p: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a generator whose whole stream is fixed by `seed` (an integer). */
export function createRandom(seed: number): Random {
  const init = splitmix32(seed);
  let s0 = init();
  let s1 = init();
  let s2 = init();
  let s3 = init();
  let spareNormal: number | undefined;

  function nextUint32(): number {
    const result = imul(rotl(imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  }

  function uniform(): number {
    return nextUint32() / 4294967296;
  }

  function normal(): number {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    const u = 1 - uniform();
    const radius = sqrt(-2 * log(u));
    const angle = 2 * PI * uniform();
    spareNormal = radius * sin(angle);
    return radius * cos(angle);
  }

  function gamma(shape: number): number {
    if (shape < 1) {
      // Boost to shape + 1 and scale back, as Marsaglia and Tsang recommend for shape < 1.
      return gamma(shape + 1) * pow(1 - uniform(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
  }

  function beta(a: number, b: number): number {
    const x = gamma(a);
    const y = gamma(b);
    return x / (x + y);
  }

  function binomial(n: number, p: number): number {
    let successes = 0;
    for (let i = 0; i < n; i++) if (uniform() < p) successes++;
    return successes;
  }

  return { uniform, normal, gamma, beta, binomial };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
