import type { CodeableConcept, DiagnosticReport } from '@medplum/fhirtypes';

/**
 * What a hospital lets the chat do with a result: send it as a PDF document, as a short text
 * summary, only say it is ready (with an offer to book a consultation), or never mention it.
 */
export type ResultRelease = 'document' | 'summary' | 'announce' | 'never';

export interface ResultRule {
  /** A code of the report's `code` (LOINC "24323-8") or of its `category` (v2-0074 "LAB", "GE"). */
  readonly match: string;
  readonly release: ResultRelease;
}

export interface ResultsPolicy {
  readonly rules: readonly ResultRule[];
  /** For reports no rule matches: "never" unless the tenant says otherwise. */
  readonly otherwise: ResultRelease;
  /** The department whose booking an announced result offers (scheduling's `sched:book:dept:<id>`). */
  readonly bookingDepartmentId: string;
  /** How far back "recent" goes. */
  readonly lookbackDays: number;
}

export const DEFAULT_RESULTS_POLICY: ResultsPolicy = { rules: [], otherwise: 'never', bookingDepartmentId: '', lookbackDays: 180 };

export interface ResultDecision {
  readonly release: ResultRelease;
  /** Which rule decided ("code:24323-8", "category:LAB", "default"), for the audit trail. */
  readonly rule: string;
}

const codesOf = (concepts: readonly CodeableConcept[] | undefined): string[] => (concepts ?? []).flatMap((c) => (c.coding ?? []).map((x) => x.code ?? '')).filter(Boolean);

/** A report's own code decides before its category: "never" for one test inside a releasable category. */
export function decideRelease(report: DiagnosticReport, policy: ResultsPolicy): ResultDecision {
  const codes = codesOf([report.code]);
  for (const code of codes) {
    const rule = policy.rules.find((r) => r.match === code);
    if (rule) return { release: rule.release, rule: `code:${code}` };
  }
  for (const category of codesOf(report.category)) {
    const rule = policy.rules.find((r) => r.match === category);
    if (rule) return { release: rule.release, rule: `category:${category}` };
  }
  return { release: policy.otherwise, rule: 'default' };
}
