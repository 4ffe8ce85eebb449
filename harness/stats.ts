/** Median and min-max over repetitions: how every figure in a report is stated. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

/** Three significant figures at most below 1000, integers above: honest precision, small JSON. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return 0;
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x);
  if (abs === 0) return 0;
  const digits = 3 - Math.ceil(Math.log10(abs));
  const f = 10 ** Math.max(0, Math.min(6, digits));
  return Math.round(x * f) / f;
}

/** Two spreads overlap: their difference is within the noise the repetitions showed. */
export function overlaps(a: Spread, b: Spread): boolean {
  return a.min <= b.max && b.min <= a.max;
}
