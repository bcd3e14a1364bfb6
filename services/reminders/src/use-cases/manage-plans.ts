import { ReminderKind, ReminderState, remindersApi } from '@careloop/contracts';
import { DateTime } from 'luxon';
import { isLanguage } from '../i18n/catalog';
import type { ReminderKindName } from '../domain/reminder';
import type { PlanRecord } from '../adapters/plan-store';
import { kindOf, publishedStateOf } from '../adapters/reminder-events';
import { LABEL_FIELD, RECIPIENT_FIELD, withdrawReminders, type ReminderDeps } from './ports';
import type { PlanScheduler } from './plan-scheduler';

/** A request the API refuses; the message names the field, never its value. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

const PLAN_KINDS: Partial<Record<ReminderKind, PlanRecord['kind']>> = {
  [ReminderKind.REMINDER_KIND_MEDICATION]: 'medication',
  [ReminderKind.REMINDER_KIND_FOLLOW_UP]: 'follow-up',
  [ReminderKind.REMINDER_KIND_VITAL_SIGN]: 'vital-sign',
};
const KIND_NAMES: Partial<Record<ReminderKind, ReminderKindName>> = { ...PLAN_KINDS, [ReminderKind.REMINDER_KIND_APPOINTMENT]: 'appointment' };

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

function check(condition: boolean, field: string, rule: string): void {
  if (!condition) throw new InvalidRequestError(`${field}: ${rule}`);
}

/** What happens when a clinician's system creates or cancels a reminder plan, or a patient sets preferences. */
export class ManagePlans {
  constructor(
    private readonly deps: ReminderDeps,
    private readonly planScheduler: PlanScheduler,
  ) {}

  async create(req: remindersApi.CreatePlanRequest): Promise<remindersApi.CreatePlanResponse> {
    const kind = PLAN_KINDS[req.kind];
    check(ID.test(req.tenantId), 'tenant_id', 'required');
    check(ID.test(req.planId), 'plan_id', '1-128 of A-Z a-z 0-9 . _ : -');
    check(kind !== undefined, 'kind', 'MEDICATION, FOLLOW_UP or VITAL_SIGN');
    check(ID.test(req.contactId), 'contact_id', 'required');
    check(!!req.endpoint?.endpointId, 'endpoint.endpoint_id', 'required');
    check(!!req.recipient?.channelUserId, 'recipient.channel_user_id', 'required');
    check(DateTime.local().setZone(req.timeZone).isValid, 'time_zone', 'an IANA time zone');
    check(req.language === '' || isLanguage(req.language), 'language', 'en, es, de, fr, tr or ru');
    if (kind === 'follow-up') {
      check(!!req.dueAt, 'due_at', 'required for FOLLOW_UP');
      check(req.followUpLabel.length > 0 && req.followUpLabel.length <= 100, 'follow_up_label', '1-100 characters');
    } else {
      check(req.timesOfDay.length > 0 && req.timesOfDay.length <= 12 && req.timesOfDay.every((t) => TIME.test(t)), 'times_of_day', '1-12 times "HH:MM"');
      check(DATE.test(req.startDate) && DateTime.fromISO(req.startDate).isValid, 'start_date', '"YYYY-MM-DD"');
      check(req.endDate === '' || (DATE.test(req.endDate) && req.endDate >= req.startDate), 'end_date', 'empty or "YYYY-MM-DD" not before start_date');
    }
    if (kind === 'medication') check(req.medicationLabel.length > 0 && req.medicationLabel.length <= 200, 'medication_label', '1-200 characters');
    if (kind === 'vital-sign') check(req.vitalSign === remindersApi.VitalSign.VITAL_SIGN_BLOOD_GLUCOSE, 'vital_sign', 'BLOOD_GLUCOSE');
    if (!kind || !req.endpoint || !req.recipient) throw new InvalidRequestError('kind: required');

    const tenantId = req.tenantId;
    const label = kind === 'medication' ? req.medicationLabel : kind === 'follow-up' ? req.followUpLabel : '';
    await this.deps.plans.create({
      _id: req.planId,
      tenantId,
      kind,
      active: true,
      facilityId: req.facilityId,
      departmentId: req.departmentId,
      contactId: req.contactId,
      patientId: req.patientId,
      endpoint: { channel: req.endpoint.channel, endpointId: req.endpoint.endpointId, displayAddress: req.endpoint.displayAddress, accountId: req.endpoint.accountId },
      recipientChannel: req.recipient.channel,
      recipientSealed: this.deps.cipher.encrypt(req.recipient.channelUserId, { tenantId, field: RECIPIENT_FIELD }),
      language: req.language,
      timeZone: req.timeZone,
      timesOfDay: req.timesOfDay,
      startDate: req.startDate,
      endDate: req.endDate,
      dueAt: req.dueAt ?? null,
      labelSealed: label ? this.deps.cipher.encrypt(label, { tenantId, field: LABEL_FIELD }) : '',
      vitalSign: kind === 'vital-sign' ? 'blood-glucose' : '',
      createdAt: new Date(),
    });
    const next = await this.planScheduler.scheduleAfter(tenantId, req.planId, this.deps.clock.now());
    return { planId: req.planId, nextDueAt: next?.dueAt };
  }

  async cancel(req: remindersApi.CancelPlanRequest): Promise<remindersApi.CancelPlanResponse> {
    check(ID.test(req.tenantId), 'tenant_id', 'required');
    check(ID.test(req.planId), 'plan_id', 'required');
    await this.deps.plans.deactivate(req.tenantId, req.planId);
    const pending = await this.deps.reminders.byPlan(req.tenantId, req.planId);
    return { cancelledReminders: await withdrawReminders(this.deps, pending, 'plan-cancelled') };
  }

  async setPreferences(req: remindersApi.SetPreferencesRequest): Promise<remindersApi.SetPreferencesResponse> {
    check(ID.test(req.tenantId), 'tenant_id', 'required');
    check(ID.test(req.contactId), 'contact_id', 'required');
    check(req.language === '' || isLanguage(req.language), 'language', 'empty or en, es, de, fr, tr, ru');
    check(req.timeZone === '' || DateTime.local().setZone(req.timeZone).isValid, 'time_zone', 'empty or an IANA time zone');
    const kinds = req.optedOutKinds.map((k) => KIND_NAMES[k]);
    check(kinds.every((k) => k !== undefined), 'opted_out_kinds', 'reminder kinds');
    await this.deps.contacts.setPreferences(req.tenantId, req.contactId, {
      language: req.language,
      timeZone: req.timeZone,
      optedOutKinds: kinds.filter((k): k is ReminderKindName => k !== undefined),
      closestOnly: req.closestOnly,
    });
    return {};
  }

  async list(req: remindersApi.ListRemindersRequest): Promise<remindersApi.ListRemindersResponse> {
    check(ID.test(req.tenantId), 'tenant_id', 'required');
    check(ID.test(req.appointmentId) || ID.test(req.planId), 'appointment_id', 'appointment_id or plan_id required');
    const records = req.appointmentId ? await this.deps.reminders.byAppointment(req.tenantId, req.appointmentId) : await this.deps.reminders.byPlan(req.tenantId, req.planId);
    return {
      reminders: records
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
        .map((r) => ({
          reminderId: r._id,
          kind: kindOf(r.kind),
          // Taken by the firing loop, gateway's answer awaited: still pending to the caller.
          state: publishedStateOf(r.state) ?? ReminderState.REMINDER_STATE_SCHEDULED,
          reasonCode: r.reason,
          dueAt: r.dueAt,
          offsetId: r.offsetId,
          occurrenceKey: r.occurrenceKey,
        })),
    };
  }
}
