// Probabilities for people: kube-proxy's shares are 1/n, so show fractions.

/** 0.3333333335 → '1/3'; 0.6666 → '2/3'; otherwise three decimals. */
export function formatProbability(p: number): string {
  if (Math.abs(p - 1) < 1e-6) return '1';
  if (p < 1e-9) return '0';
  for (let denominator = 2; denominator <= 64; denominator++) {
    const numerator = Math.round(p * denominator);
    if (numerator > 0 && Math.abs(p - numerator / denominator) < 1e-6) return `${numerator}/${denominator}`;
  }
  return p.toFixed(3);
}
