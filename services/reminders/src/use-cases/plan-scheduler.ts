import { resolvePolicy } from '../domain/policy';
import { nextOccurrence } from '../domain/recurrence';
import { commandIdOf, reminderIdOf } from '../domain/reminder';
import type { PlanRecord } from '../adapters/plan-store';
import type { ReminderRecord } from '../adapters/reminder-store';
import { indexReminders, type ReminderDeps } from './ports';

/**
 * Plans keep one pending occurrence at a time: the next is scheduled when one fires, so a daily
 * medication plan never materialises months of timers. Occurrence keys come from the plan and the
 * local slot ("plan:<id>:2026-03-29T08:00"), so scheduling the same next one twice is harmless.
 * The patient chose these times: quiet hours do not move them.
 */
export class PlanScheduler {
  constructor(private readonly deps: ReminderDeps) {}

  /** Schedules the plan's first occurrence after `after` (its start, or the one that just fired). */
  async scheduleAfter(tenantId: string, planId: string, after: Date): Promise<ReminderRecord | undefined> {
    const plan = await this.deps.plans.get(tenantId, planId);
    if (!plan?.active) return undefined;
    let dueAt: Date;
    let slot: string;
    if (plan.kind === 'follow-up') {
      if (!plan.dueAt || plan.dueAt.getTime() <= after.getTime()) return undefined;
      [dueAt, slot] = [plan.dueAt, 'once'];
    } else {
      const next = nextOccurrence({ timeZone: plan.timeZone, timesOfDay: plan.timesOfDay, startDate: plan.startDate, ...(plan.endDate ? { endDate: plan.endDate } : {}) }, after);
      if (!next) return undefined;
      [dueAt, slot] = [next.at, next.localSlot];
    }
    return this.schedule(plan, `plan:${plan._id}:${slot}`, dueAt);
  }

  /** One more occurrence of an existing one, e.g. a snoozed medication reminder. */
  async scheduleAgain(original: ReminderRecord, occurrenceKey: string, dueAt: Date): Promise<ReminderRecord | undefined> {
    const plan = await this.deps.plans.get(original.tenantId, original.planId);
    if (!plan?.active) return undefined;
    return this.schedule(plan, occurrenceKey, dueAt);
  }

  private async schedule(plan: PlanRecord, occurrenceKey: string, dueAt: Date): Promise<ReminderRecord> {
    const policy = resolvePolicy(this.deps.policies, { tenantId: plan.tenantId, facilityId: plan.facilityId, departmentId: plan.departmentId });
    const at = new Date();
    const record: ReminderRecord = {
      _id: reminderIdOf(plan.tenantId, occurrenceKey),
      tenantId: plan.tenantId,
      kind: plan.kind,
      state: 'scheduled',
      reason: '',
      occurrenceKey,
      commandId: commandIdOf(plan.tenantId, occurrenceKey),
      dueAt,
      notAfter: new Date(dueAt.getTime() + policy.planGraceMinutes * 60_000),
      facilityId: plan.facilityId,
      departmentId: plan.departmentId,
      practitionerId: '',
      appointmentId: '',
      appointmentVersion: 0,
      appointmentStart: null,
      offsetId: '',
      offsetSeconds: 0,
      askConfirmation: false,
      planId: plan._id,
      contactId: plan.contactId,
      patientId: plan.patientId,
      endpoint: plan.endpoint,
      recipientChannel: plan.recipientChannel,
      recipientSealed: plan.recipientSealed,
      language: plan.language,
      timeZone: plan.timeZone,
      display: null,
      labelSealed: plan.labelSealed,
      messageId: '',
      sentAsTemplate: false,
      sequence: 1,
      createdAt: at,
      updatedAt: at,
    };
    await this.deps.reminders.insertIfAbsent(record);
    const stored = (await this.deps.reminders.get(plan.tenantId, record._id)) ?? record;
    await indexReminders(this.deps, [stored]);
    if (stored.sequence === 1) await this.deps.events.changed(stored);
    return stored;
  }
}
