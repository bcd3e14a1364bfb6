import type { CodeableConcept, DiagnosticReport, Observation } from '@medplum/fhirtypes';

/** One result as the patient reads it (PHI: rendered, sent, never stored or logged). */
export interface ResultView {
  readonly reportId: string;
  readonly title: string;
  /** When the result is about (effective), else when it was issued. */
  readonly date: Date | undefined;
  readonly conclusion: string;
  readonly lines: readonly { name: string; value: string; range: string; flag: string }[];
}

const nameOf = (c: CodeableConcept | undefined): string => c?.text ?? c?.coding?.find((x) => x.display)?.display ?? c?.coding?.[0]?.code ?? '';

function valueOf(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? o.valueQuantity.code ?? ''}`.trim();
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueCodeableConcept) return nameOf(o.valueCodeableConcept);
  if (o.valueBoolean !== undefined) return String(o.valueBoolean);
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  return '';
}

function rangeOf(o: Observation): string {
  const r = o.referenceRange?.[0];
  if (!r) return '';
  if (r.text) return r.text;
  const low = r.low?.value;
  const high = r.high?.value;
  const unit = r.high?.unit ?? r.low?.unit ?? '';
  if (low !== undefined && high !== undefined) return `${low}–${high} ${unit}`.trim();
  if (low !== undefined) return `≥ ${low} ${unit}`.trim();
  if (high !== undefined) return `≤ ${high} ${unit}`.trim();
  return '';
}

/** The report with its Observations (those the search included), in the report's order. */
export function resultViewOf(report: DiagnosticReport, observations: ReadonlyMap<string, Observation>): ResultView {
  const when = report.effectiveDateTime ?? report.effectivePeriod?.start ?? report.issued;
  const lines = (report.result ?? []).flatMap((ref) => {
    const o = ref.reference ? observations.get(ref.reference) : undefined;
    if (!o) return [];
    return [{ name: nameOf(o.code), value: valueOf(o), range: rangeOf(o), flag: o.interpretation?.[0]?.coding?.[0]?.code ?? '' }];
  });
  return { reportId: report.id ?? '', title: nameOf(report.code), date: when ? new Date(when) : undefined, conclusion: report.conclusion ?? '', lines };
}
