import type { FactTables } from '../adapters/fact-tables';
import { percentile, REPORTS, storedFilterValue, type ReportOut, type ReportQuery, type ReportRowOut, type Sums } from '../domain/reports';

/**
 * A report for one tenant: sums of the report's counters per value of the chosen dimension over
 * the facts matching the filters and period, turned into figures by the report's definition
 * (domain/reports.ts). The total is computed the same way without grouping, so rows and total
 * agree by construction. Only aggregates leave: no fact ids, no contact ids.
 */
export class BuildReport {
  constructor(private readonly facts: FactTables) {}

  async execute(tenantId: string, query: ReportQuery): Promise<ReportOut> {
    const spec = REPORTS[query.report];
    const table = this.facts.table(spec.table);
    const match: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(query.filters)) {
      const field = spec.dimensions[name];
      if (field) match[field] = storedFilterValue(name, value);
    }
    const range = { from: query.from, to: query.to };
    const groupField = query.groupBy ? spec.dimensions[query.groupBy] : undefined;
    const [grouped, total] = await Promise.all([
      groupField ? table.sumBy(tenantId, match, range, groupField, spec.sums) : Promise.resolve([]),
      table.sumBy(tenantId, match, range, undefined, spec.sums),
    ]);
    const distributions = spec.distributions ?? [];
    const values = distributions.length ? await table.valuesBy(tenantId, match, range, groupField, distributions) : [];
    const withDistributions = (key: unknown, sums: Sums, all: boolean): Sums => {
      if (!distributions.length) return sums;
      const out: Record<string, number> = { ...sums };
      for (const field of distributions) {
        const sorted = values
          .filter((v) => all || v.key === key)
          .map((v) => v.values[field])
          .filter((v): v is number => v !== undefined)
          .sort((a, b) => a - b);
        const p50 = percentile(sorted, 50);
        const p90 = percentile(sorted, 90);
        if (p50 !== null) out[`${field}.p50`] = p50;
        if (p90 !== null) out[`${field}.p90`] = p90;
      }
      return out;
    };
    const show = query.groupBy ? spec.showKey?.[query.groupBy] : undefined;
    const rows: ReportRowOut[] = grouped
      .map((g) => ({ key: show ? show(g.key) : keyText(g.key), values: spec.figures(withDistributions(g.key, g.sums, false)) }))
      .sort((a, b) => compareKeys(a.key, b.key));
    const totalSums = total[0]?.sums ?? {};
    return {
      report: query.report,
      groupBy: query.groupBy ?? '',
      from: query.from,
      to: query.to,
      filters: query.filters,
      total: { key: '', values: spec.figures(withDistributions(null, totalSums, true)) },
      rows,
    };
  }
}

function keyText(key: unknown): string {
  if (key === null || key === undefined) return '';
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' ? String(key) : JSON.stringify(key);
}

const ORDERED = ['none', 'sent', 'delivered', 'read', 'confirmed', 'same-day', '1-2d', '3-7d', '8-30d', '31d+'];

function compareKeys(a: string, b: string): number {
  const ia = ORDERED.indexOf(a);
  const ib = ORDERED.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
