export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Nearest-rank percentiles. A turn without an answer counts as Infinity, so a
 * percentile that falls on missing turns says so instead of looking good.
 */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const finite = sorted.filter(Number.isFinite);
  return {
    count: sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN,
  };
}

export function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds for a table cell: "12.3", "1,234", or "> 10 s" for a missing answer. */
export function ms(value: number, timeoutMs: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '-' : `> ${fmt(timeoutMs / 1000)} s`;
  return value < 100 ? fmt(value, 1) : fmt(value);
}

/** The same with its unit: "12.3 ms", or "> 10 s". */
export function msUnit(value: number, timeoutMs: number): string {
  return Number.isFinite(value) ? `${ms(value, timeoutMs)} ms` : ms(value, timeoutMs);
}

export function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}
