import { DateTime } from 'luxon';
import { planAppointmentReminders } from '../src/domain/appointment-reminders';
import { DEFAULT_POLICY, resolvePolicy, type ReminderPolicy } from '../src/domain/policy';

const MADRID = 'Europe/Madrid';
const local = (iso: string) => DateTime.fromISO(iso, { zone: MADRID }).toJSDate();
const show = (d: Date) => DateTime.fromJSDate(d, { zone: MADRID }).toFormat("yyyy-MM-dd'T'HH:mm");
const appointment = (startIso: string, serviceType = 'consultation') => ({ appointmentId: 'a1', version: 1, start: local(startIso), facilityTimeZone: MADRID, serviceType });

describe('appointment reminders from a policy', () => {
  it('plans the default 48 h and 2 h reminders in the facility’s zone', () => {
    const planned = planAppointmentReminders(appointment('2026-05-14T10:30'), DEFAULT_POLICY, local('2026-05-01T09:00'));
    expect(planned.map((p) => [p.offset.id, show(p.dueAt), p.dropReason, p.offsetSeconds])).toEqual([
      ['48h', '2026-05-12T10:30', '', 48 * 3600],
      ['2h', '2026-05-14T08:30', '', 2 * 3600],
    ]);
    expect(planned[0]?.offset.askConfirmation).toBe(true);
    expect(planned.every((p) => p.notAfter.getTime() === local('2026-05-14T10:30').getTime())).toBe(true);
  });

  it('moves a 2 h reminder that falls in quiet hours to their end, or the evening before when that is past the start', () => {
    const nine = planAppointmentReminders(appointment('2026-05-14T09:00'), DEFAULT_POLICY, local('2026-05-01T09:00'));
    expect(show(nine[1]?.dueAt ?? new Date(0))).toBe('2026-05-14T08:00');
    // 2 h before 08:00 is 06:00 (quiet); the end of quiet hours is the start itself, so the evening before.
    const eight = planAppointmentReminders(appointment('2026-05-14T08:00'), DEFAULT_POLICY, local('2026-05-01T09:00'));
    expect([show(eight[1]?.dueAt ?? new Date(0)), eight[1]?.dropReason]).toEqual(['2026-05-13T20:59', '']);
  });

  it('keeps the local time of a day offset across a DST change, and the exact hours of an hour offset', () => {
    const policy: ReminderPolicy = { ...DEFAULT_POLICY, quietHours: null, offsets: [{ id: '7d', before: 'P7D', askConfirmation: true }, { id: '48h', before: 'PT48H', askConfirmation: false }] };
    // Clocks go forward on 29 March 2026 in Madrid.
    const planned = planAppointmentReminders(appointment('2026-03-30T10:00'), policy, local('2026-03-01T09:00'));
    expect(planned.map((p) => show(p.dueAt))).toEqual(['2026-03-23T10:00', '2026-03-28T09:00']);
    expect(planned[0]?.offsetSeconds).toBe(7 * 24 * 3600 - 3600);
    expect(planned[1]?.offsetSeconds).toBe(48 * 3600);
  });

  it('drops a reminder whose time passed before the booking, with a reason', () => {
    const planned = planAppointmentReminders(appointment('2026-05-14T10:30'), DEFAULT_POLICY, local('2026-05-13T12:00'));
    expect(planned.map((p) => [p.offset.id, p.dropReason])).toEqual([
      ['48h', 'due-before-booking'],
      ['2h', ''],
    ]);
  });

  it('uses the service type’s own offsets (7 days for surgery) and the closest one only when the patient asks', () => {
    const policy = resolvePolicy({ default: { serviceTypes: { surgery: { offsets: [{ id: '7d', before: 'P7D', askConfirmation: true }, { id: '1d', before: 'P1D', askConfirmation: false }] } } } }, { tenantId: 't', facilityId: 'f', departmentId: 'd' });
    const surgery = planAppointmentReminders(appointment('2026-06-10T11:00', 'surgery'), policy, local('2026-05-01T09:00'));
    expect(surgery.map((p) => [p.offset.id, show(p.dueAt)])).toEqual([
      ['7d', '2026-06-03T11:00'],
      ['1d', '2026-06-09T11:00'],
    ]);
    const closest = planAppointmentReminders(appointment('2026-06-10T11:00', 'surgery'), policy, local('2026-05-01T09:00'), { closestOnly: true });
    expect(closest.map((p) => p.offset.id)).toEqual(['1d']);
  });

  it('resolves policies from default to department, field by field', () => {
    const table = {
      default: { quietHours: null },
      t1: { offsets: [{ id: '24h', before: 'PT24H', askConfirmation: true }] },
      't1/f1/cardio': { skipConfirmationRequestsOnceConfirmed: false, templates: { appointment: 'cardio_reminder' } },
    };
    const cardio = resolvePolicy(table, { tenantId: 't1', facilityId: 'f1', departmentId: 'cardio' });
    expect([cardio.offsets.map((o) => o.id), cardio.quietHours, cardio.skipConfirmationRequestsOnceConfirmed, cardio.templates.appointment, cardio.templates.medication]).toEqual([
      ['24h'],
      null,
      false,
      'cardio_reminder',
      'medication_reminder',
    ]);
    const other = resolvePolicy(table, { tenantId: 't2', facilityId: 'f1', departmentId: 'cardio' });
    expect(other.offsets.map((o) => o.id)).toEqual(['48h', '2h']);
  });
});
