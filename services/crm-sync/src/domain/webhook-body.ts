import { AppointmentChangeKind, type AppointmentChanged } from '@careloop/contracts';
import { toFhirStatus } from './appointment-mapping';

/** What a webhook template can name: the change, in plain JSON (codes as FHIR codes, times ISO). */
export function appointmentView(change: AppointmentChanged): Record<string, unknown> {
  const a = change.appointment;
  return {
    event: 'appointment.changed',
    kind: AppointmentChangeKind[change.kind].replace('APPOINTMENT_CHANGE_KIND_', '').toLowerCase(),
    changedAt: change.changedAt?.toISOString() ?? null,
    appointment: a
      ? {
          appointmentId: a.appointmentId,
          tenantId: a.tenantId,
          facilityId: a.facilityId,
          departmentId: a.departmentId,
          practitionerId: a.practitionerId,
          serviceType: a.serviceType,
          start: a.start?.toISOString() ?? null,
          end: a.end?.toISOString() ?? null,
          status: toFhirStatus(a.status) ?? null,
          version: a.version,
          patientId: a.patientId,
          contactId: a.contactId,
          language: a.language,
          cancellationReason: a.cancellationReason || null,
          externalIds: a.externalIds.map((x) => ({ system: x.system, value: x.value })),
        }
      : null,
  };
}

function at(view: unknown, path: string): unknown {
  let v: unknown = view;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const WHOLE = /^\{\{\s*([\w.]+)\s*\}\}$/;
const INSIDE = /\{\{\s*([\w.]+)\s*\}\}/g;

/**
 * Renders a JSON template against the view: a string that is one placeholder takes the value with
 * its type (a number stays a number, an object an object), placeholders inside longer strings are
 * interpolated, unknown paths become null (or "" inside a string).
 */
export function renderTemplate(template: unknown, view: unknown): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole?.[1]) return at(view, whole[1]) ?? null;
    return template.replace(INSIDE, (_m, path: string) => {
      const v = at(view, path);
      if (v === undefined || v === null) return '';
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => renderTemplate(t, view));
  if (template !== null && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, t]) => [k, renderTemplate(t, view)]));
  return template;
}

/** The body of one delivery: the template rendered, or the whole view without one. */
export function webhookBody(templateJson: string, view: Record<string, unknown>): string {
  return JSON.stringify(templateJson ? renderTemplate(JSON.parse(templateJson) as unknown, view) : view);
}
