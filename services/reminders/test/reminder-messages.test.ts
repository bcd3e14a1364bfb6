import { Channel, TemplateComponentType } from '@careloop/contracts';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { gateReason } from '../src/use-cases/fire-due-reminders';
import { ReminderMessages } from '../src/use-cases/reminder-messages';
import { Catalog } from '../src/i18n/catalog';
import type { ReminderRecord } from '../src/adapters/reminder-store';

const messages = new ReminderMessages(Catalog.load());

function record(overrides: Partial<ReminderRecord> = {}): ReminderRecord {
  const at = new Date('2026-05-12T08:30:00Z');
  return {
    _id: 'r1',
    tenantId: 't1',
    kind: 'appointment',
    state: 'firing',
    reason: '',
    occurrenceKey: 'appt:a1:v1:48h',
    commandId: 'c1',
    dueAt: at,
    notAfter: new Date('2026-05-14T08:30:00Z'),
    facilityId: 'madrid-central',
    departmentId: 'cardio',
    practitionerId: 'p1',
    appointmentId: 'a1',
    appointmentVersion: 1,
    appointmentStart: new Date('2026-05-14T08:30:00Z'),
    offsetId: '48h',
    offsetSeconds: 172800,
    askConfirmation: true,
    planId: '',
    contactId: 'c-1',
    patientId: 'p-1',
    endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' },
    recipientChannel: Channel.CHANNEL_WHATSAPP,
    recipientSealed: '',
    language: 'es',
    timeZone: 'Europe/Madrid',
    display: { facilityName: 'Hospital Central', departmentName: 'Cardiología', practitionerName: 'Dra. Ruiz', facilityAddress: 'Calle Mayor 1', serviceType: 'echo' },
    labelSealed: '',
    messageId: '',
    sentAsTemplate: false,
    sequence: 2,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

describe('reminder messages', () => {
  it('shows the appointment in the facility’s zone and the patient’s language, with rem: buttons and the preparation', () => {
    const policy = { ...DEFAULT_POLICY, serviceTypes: { echo: { preparation: { es: 'Venga con ropa cómoda.', en: 'Wear comfortable clothes.' } } } };
    const m = messages.forReminder(record(), policy, '', 'es');
    if (m.content.$case !== 'replyButtons') throw new Error('expected reply buttons');
    // 08:30 UTC is 10:30 in Madrid (CEST).
    expect(m.content.value.body).toContain('jueves, 14 de mayo a las 10:30');
    expect(m.content.value.body).toContain('Hospital Central, Cardiología');
    expect(m.content.value.body).toContain('Dra. Ruiz');
    expect(m.content.value.body).toContain('Venga con ropa cómoda.');
    expect(m.content.value.buttons.map((b) => [b.id, b.title])).toEqual([
      ['rem:confirm:r1', 'Confirmar'],
      ['rem:reschedule:r1', 'Cambiar hora'],
      ['rem:cancel:r1', 'Cancelar'],
    ]);
    expect(m.templateFallback.name).toBe('appointment_reminder');
    expect(m.templateFallback.languageCode).toBe('es');
    const body = m.templateFallback.components.find((c) => c.type === TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY);
    expect(body?.parameters.map((p) => (p.value?.$case === 'text' ? p.value.value : ''))).toEqual(['jueves, 14 de mayo', '10:30', 'Hospital Central, Cardiología', 'Dra. Ruiz']);
    const payloads = m.templateFallback.components.filter((c) => c.type === TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON).map((c) => (c.parameters[0]?.value?.$case === 'payload' ? c.parameters[0].value.value : ''));
    expect(payloads).toEqual(['rem:confirm:r1', 'rem:reschedule:r1', 'rem:cancel:r1']);
  });

  it('offers Taken / Snooze / Skip on a medication reminder', () => {
    const m = messages.forReminder(record({ kind: 'medication', askConfirmation: false, planId: 'plan1' }), DEFAULT_POLICY, 'Metformina 850 mg', 'en');
    if (m.content.$case !== 'replyButtons') throw new Error('expected reply buttons');
    expect(m.content.value.body).toContain('Metformina 850 mg');
    expect(m.content.value.buttons.map((b) => [b.id, b.title])).toEqual([
      ['rem:taken:r1', 'Taken'],
      ['rem:snooze:r1', 'Snooze 30 min'],
      ['rem:skip:r1', 'Skip'],
    ]);
  });
});

describe('the check at fire time', () => {
  const now = new Date('2026-05-12T08:30:05Z');
  const gate = { consent: 'opted-in' as const, optedOutKinds: [], timeZone: '', language: '', closestOnly: false };

  it('sends only to contacts who opted in', () => {
    expect(gateReason(record(), gate, now)).toBe('');
    expect(gateReason(record(), { ...gate, consent: 'opted-out' }, now)).toBe('opted-out');
    expect(gateReason(record(), { ...gate, consent: 'pending' }, now)).toBe('no-consent');
    expect(gateReason(record(), undefined, now)).toBe('no-consent');
  });

  it('honours the patient’s opt-out of a reminder kind', () => {
    expect(gateReason(record(), { ...gate, optedOutKinds: ['appointment'] }, now)).toBe('preference-opt-out');
    expect(gateReason(record(), { ...gate, optedOutKinds: ['medication'] }, now)).toBe('');
  });

  it('drops a reminder that can no longer arrive in time rather than send it late', () => {
    expect(gateReason(record(), gate, new Date('2026-05-14T08:30:01Z'))).toBe('too-late');
  });
});
