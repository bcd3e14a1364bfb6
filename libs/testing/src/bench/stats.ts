/** Nearest-rank percentiles of a set of measurements (see `percentiles`). */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Of the finite values only. */
  readonly mean: number;
}

/**
 * Nearest-rank percentiles. A measurement that never completed (a request
 * without an answer) counts as Infinity, so a percentile that falls on
 * missing ones says so instead of looking good. NaN where there are none.
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

/** A number for a report: thousands separators, exactly `digits` decimals ("1,234", "12.30"). */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds for a table cell: "12.3", "1,234", "-" for NaN, or "> 10 s" for a measurement that timed out (Infinity). */
export function formatMs(value: number, timeoutMs: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '-' : `> ${formatNumber(timeoutMs / 1000)} s`;
  return value < 100 ? formatNumber(value, 1) : formatNumber(value);
}

/** The same with its unit: "12.3 ms", or "> 10 s". */
export function formatMsWithUnit(value: number, timeoutMs: number): string {
  return Number.isFinite(value) ? `${formatMs(value, timeoutMs)} ms` : formatMs(value, timeoutMs);
}

/** Pads a table cell to `width`: left-aligned, or right-aligned (numbers) with `alignRight`. */
export function padCell(text: string, width: number, alignRight = false): string {
  return alignRight ? text.padStart(width) : text.padEnd(width);
}
