import { AppointmentChangeKind, AppointmentStatus, Channel, PatientResponse, type AppointmentChanged } from '@careloop/contracts';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { planAppointmentReminders } from '../domain/appointment-reminders';
import { resolvePolicy } from '../domain/policy';
import { commandIdOf, reminderIdOf } from '../domain/reminder';
import type { ReminderRecord } from '../adapters/reminder-store';
import { indexReminders, RECIPIENT_FIELD, withdrawReminders, type ReminderDeps } from './ports';

/** States of a reminder that went (or is going) to the patient: never planned again for the same time. */
const FIRED = new Set<ReminderRecord['state']>(['firing', 'dispatched', 'sent', 'delivered', 'read', 'confirmed', 'cancelled-by-patient', 'snoozed', 'failed']);

/** Statuses in which an appointment still gets reminders. */
const REMINDABLE = new Set([AppointmentStatus.APPOINTMENT_STATUS_BOOKED, AppointmentStatus.APPOINTMENT_STATUS_PENDING]);

/**
 * What happens when scheduling says an appointment changed: booked → reminders at the policy's
 * offsets; rescheduled → those of the old time withdrawn, new ones planned; cancelled (or ended)
 * → all withdrawn; confirmed → later "please confirm" reminders skipped if the policy says so.
 * Snapshots carry a version: an older or equal one only re-ensures what the newer one planned.
 */
export class ScheduleAppointmentReminders {
  constructor(private readonly deps: ReminderDeps) {}

  async execute(event: ReceivedEvent<AppointmentChanged>): Promise<void> {
    const a = event.payload.appointment;
    if (!a?.appointmentId) throw new NonRetryableError('AppointmentChanged without appointment.appointment_id');
    if (a.tenantId && a.tenantId !== event.tenantId) throw new NonRetryableError('AppointmentChanged whose appointment.tenant_id differs from the envelope tenant');
    const tenantId = event.tenantId;
    const { reminders, appointments, contacts, cipher, clock } = this.deps;

    const known = await appointments.get(tenantId, a.appointmentId);
    const existing = await reminders.byAppointment(tenantId, a.appointmentId);
    if (known && known.version >= a.version) {
      // Seen already (or older): a crash may have come between the store and the index.
      await indexReminders(this.deps, existing);
      return;
    }

    const confirmed = a.patientResponse === PatientResponse.PATIENT_RESPONSE_ACCEPTED || event.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED;
    const policy = resolvePolicy(this.deps.policies, { tenantId, facilityId: a.facilityId, departmentId: a.departmentId });
    const scheduled = existing.filter((r) => r.state === 'scheduled');

    if (!REMINDABLE.has(a.status) || !a.start) {
      const reason = a.status === AppointmentStatus.APPOINTMENT_STATUS_CANCELLED ? 'appointment-cancelled' : 'appointment-ended';
      await withdrawReminders(this.deps, scheduled, reason, 'cancelled', event.id);
    } else {
      const now = clock.now();
      const gate = a.contactId ? (await contacts.gates(tenantId, [a.contactId])).get(a.contactId) : undefined;
      const planned = planAppointmentReminders(
        { appointmentId: a.appointmentId, version: a.version, start: a.start, facilityTimeZone: a.facilityTimeZone, serviceType: a.serviceType },
        policy,
        now,
        { ...(gate?.timeZone ? { patientTimeZone: gate.timeZone } : {}), closestOnly: gate?.closestOnly ?? false },
      );
      const skipConfirmation = confirmed && policy.skipConfirmationRequestsOnceConfirmed;

      // Reminders of the old time (or of offsets the policy no longer has) are withdrawn; matching ones stay.
      const kept = new Set<string>();
      const stale: ReminderRecord[] = [];
      for (const r of scheduled) {
        const match = planned.find((p) => p.offset.id === r.offsetId && p.dueAt.getTime() === r.dueAt.getTime() && p.dropReason === '');
        if (match && !kept.has(match.offset.id)) kept.add(match.offset.id);
        else stale.push(r);
      }
      await withdrawReminders(this.deps, stale, 'rescheduled', 'cancelled', event.id);
      if (skipConfirmation) {
        await withdrawReminders(this.deps, scheduled.filter((r) => r.askConfirmation && !stale.includes(r)), 'already-confirmed', 'skipped', event.id);
      }

      // A later version of the same time (confirmed, a changed note, the EHR's copy) must not send
      // again what already went: a reminder fired inside its offset (booked late) is due "now" at
      // every planning, so only the offset tells it apart.
      const start = a.start.getTime();
      const fired = new Set(existing.filter((r) => FIRED.has(r.state) && r.appointmentStart?.getTime() === start).map((r) => r.offsetId));

      const channelUserId = a.recipient?.channelUserId ?? '';
      const endpoint = a.endpoint;
      const fresh: ReminderRecord[] = [];
      for (const p of planned) {
        if (kept.has(p.offset.id) || fired.has(p.offset.id)) continue;
        const occurrenceKey = `appt:${a.appointmentId}:v${a.version}:${p.offset.id}`;
        let state: ReminderRecord['state'] = 'scheduled';
        let reason = '';
        if (p.dropReason) [state, reason] = ['skipped', p.dropReason];
        else if (!endpoint?.endpointId || !channelUserId || !a.contactId) [state, reason] = ['skipped', 'no-recipient'];
        else if (skipConfirmation && p.offset.askConfirmation) [state, reason] = ['skipped', 'already-confirmed'];
        const at = new Date();
        const record: ReminderRecord = {
          _id: reminderIdOf(tenantId, occurrenceKey),
          tenantId,
          kind: 'appointment',
          state,
          reason,
          occurrenceKey,
          commandId: commandIdOf(tenantId, occurrenceKey),
          dueAt: p.dueAt,
          notAfter: p.notAfter,
          facilityId: a.facilityId,
          departmentId: a.departmentId,
          practitionerId: a.practitionerId,
          appointmentId: a.appointmentId,
          appointmentVersion: a.version,
          appointmentStart: a.start,
          offsetId: p.offset.id,
          offsetSeconds: p.offsetSeconds,
          askConfirmation: p.offset.askConfirmation,
          planId: '',
          contactId: a.contactId,
          patientId: a.patientId,
          endpoint: { channel: endpoint?.channel ?? Channel.CHANNEL_UNSPECIFIED, endpointId: endpoint?.endpointId ?? '', displayAddress: endpoint?.displayAddress ?? '', accountId: endpoint?.accountId ?? '' },
          recipientChannel: a.recipient?.channel ?? Channel.CHANNEL_UNSPECIFIED,
          recipientSealed: channelUserId ? cipher.encrypt(channelUserId, { tenantId, field: RECIPIENT_FIELD }) : '',
          language: a.language,
          timeZone: a.facilityTimeZone,
          display: { facilityName: a.facilityName, departmentName: a.departmentName, practitionerName: a.practitionerName, facilityAddress: a.facilityAddress, serviceType: a.serviceType },
          labelSealed: '',
          messageId: '',
          sentAsTemplate: false,
          sequence: 1,
          createdAt: at,
          updatedAt: at,
        };
        await reminders.insertIfAbsent(record);
        // Re-read: a re-run after a crash finds the one it inserted then, and re-publishes the same event id.
        const stored = (await reminders.get(tenantId, record._id)) ?? record;
        fresh.push(stored);
      }
      await indexReminders(this.deps, fresh);
      for (const r of fresh) if (r.sequence === 1) await this.deps.events.changed(r, event.id);
    }
    await appointments.save({ _id: a.appointmentId, tenantId, version: a.version, status: a.status, start: a.start ?? null, confirmed });
  }
}
