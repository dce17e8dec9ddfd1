/**
 * Composite Gauss-Legendre quadrature.
 *
 * Nodes and weights are found by Newton's method on the Legendre polynomial recurrence
 * (Numerical Recipes, 3rd ed., section 4.6, `gauleg`).
 */

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { PI, abs, cos, floor } = Math;

const NODES_PER_PANEL = 20;

function legendreRule(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const m = floor((n + 1) / 2);
  for (let i = 0; i < m; i++) {
    let z = cos((PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      derivative = (n * (z * p1 - p2)) / (z * z - 1);
      const previous = z;
      z = previous - p1 / derivative;
      if (abs(z - previous) < 1e-15) break;
    }
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = 2 / ((1 - z * z) * derivative * derivative);
    weights[n - 1 - i] = weights[i];
  }
  return { nodes, weights };
}

const RULE = legendreRule(NODES_PER_PANEL);

/** ∫_a^b f(x) dx over `panels` equal panels of a 20-point Gauss-Legendre rule. */
export function integrate(f: (x: number) => number, a: number, b: number, panels: number): number {
  const width = (b - a) / panels;
  let total = 0;
  for (let p = 0; p < panels; p++) {
    const mid = a + (p + 0.5) * width;
    let sum = 0;
    for (let i = 0; i < NODES_PER_PANEL; i++)
      sum += RULE.weights[i] * f(mid + 0.5 * width * RULE.nodes[i]);
    total += 0.5 * width * sum;
  }
  return total;
}
