import type { ReportOut } from '../../domain/reports';

/** A report as CSV: one line per row (then the total), a column per figure; empty cell for "no rate". */
export function reportToCsv(report: ReportOut): string {
  const columns = Object.keys(report.total.values);
  const dimension = report.groupBy || 'total';
  const cell = (v: string | number | null | undefined) => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return String(v);
    const s = v;
    return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [[dimension, ...columns].join(',')];
  for (const row of report.rows) lines.push([cell(row.key), ...columns.map((c) => cell(row.values[c]))].join(','));
  lines.push([cell('(total)'), ...columns.map((c) => cell(report.total.values[c]))].join(','));
  return `${lines.join('\n')}\n`;
}

/** A report as NDJSON: one JSON object per row, then the total (key "(total)"). */
export function reportToNdjson(report: ReportOut): string {
  const base = { report: report.report, group_by: report.groupBy, from: report.from, to: report.to };
  return [...report.rows, { key: '(total)', values: report.total.values }].map((row) => JSON.stringify({ ...base, key: row.key, ...row.values })).join('\n') + '\n';
}
