/**
 * The one statistics module of the harness: medians, percentiles, and median with min-max over
 * repetitions, which is how every figure in a report is stated.
 */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0-100) of values sorted ascending; NaN for none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  return { median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) };
}

/** A spread unrounded, with the repetitions it was taken over (the focused comparisons' details). */
export interface Summary extends Spread {
  runs: number[];
}

export function summarize(runs: readonly number[]): Summary {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}

/** `median [min-max]` of repetitions at `digits` decimals, n/a when one is missing (NaN). */
export function medianRange(xs: readonly number[], digits: number): string {
  if (xs.length === 0 || xs.some(Number.isNaN)) return 'n/a';
  return `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]`;
}

/** A number with thousands separators and a fixed count of decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
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
