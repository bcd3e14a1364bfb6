import { Counter, Histogram, type Registry } from '@careloop/observability';

/** triage's metrics; labels are bounded enums (acuity, flag category), never patient data. */
export class TriageMetrics {
  readonly outcomes: Counter<'acuity'>;
  readonly redFlags: Counter<'category'>;
  readonly screeningSeconds: Histogram;

  constructor(registry: Registry) {
    this.outcomes = new Counter({ name: 'careloop_triage_outcomes_total', help: 'Assessments decided, by acuity.', labelNames: ['acuity'], registers: [registry] });
    this.redFlags = new Counter({ name: 'careloop_triage_red_flags_total', help: 'Red flags that escalated a turn, by category.', labelNames: ['category'], registers: [registry] });
    this.screeningSeconds = new Histogram({ name: 'careloop_triage_screening_seconds', help: 'Red-flag screening time of one free-text turn.', buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05], registers: [registry] });
  }
}
