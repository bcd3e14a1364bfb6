import type { FieldCipher } from '@careloop/store';
import type { Logger } from '@careloop/observability';
import type { AppointmentLedger } from '../adapters/appointment-ledger';
import type { ContactStore } from '../adapters/contact-store';
import type { DueIndex } from '../adapters/due-index';
import type { PlanStore } from '../adapters/plan-store';
import type { ReminderEvents } from '../adapters/reminder-events';
import type { ReminderRecord, ReminderStore } from '../adapters/reminder-store';
import type { Clock } from '../domain/clock';
import type { PolicyTable } from '../domain/policy';
import { advancesTo, type ReminderStateName } from '../domain/reminder';

/** What the use cases share: stores, the index, events, the clock and the policy table. */
export interface ReminderDeps {
  readonly reminders: ReminderStore;
  readonly contacts: ContactStore;
  readonly appointments: AppointmentLedger;
  readonly plans: PlanStore;
  readonly index: DueIndex;
  readonly events: ReminderEvents;
  readonly cipher: FieldCipher;
  readonly clock: Clock;
  readonly policies: PolicyTable;
  readonly logger: Logger;
}

export const RECIPIENT_FIELD = 'reminders.recipient';
export const LABEL_FIELD = 'reminders.label';

/** Puts scheduled reminders into the due-index (idempotent: ZADD of the same member and score). */
export async function indexReminders(deps: Pick<ReminderDeps, 'index'>, records: readonly ReminderRecord[]): Promise<void> {
  const byEndpoint = new Map<string, ReminderRecord[]>();
  for (const r of records) {
    if (r.state !== 'scheduled') continue;
    const list = byEndpoint.get(r.endpoint.endpointId) ?? [];
    list.push(r);
    byEndpoint.set(r.endpoint.endpointId, list);
  }
  await Promise.all([...byEndpoint].map(([ep, list]) => deps.index.schedule(ep, list.map((r) => ({ tenantId: r.tenantId, reminderId: r._id, dueAt: r.dueAt })))));
}

/** Withdraws scheduled reminders (moved or cancelled appointment, cancelled plan) with a reason. */
export async function withdrawReminders(deps: Pick<ReminderDeps, 'reminders' | 'index' | 'events'>, records: readonly ReminderRecord[], reason: string, to: 'cancelled' | 'skipped' = 'cancelled', causationId = ''): Promise<number> {
  let withdrawn = 0;
  for (const r of records) {
    if (r.state !== 'scheduled') continue;
    const after = await deps.reminders.transition(r.tenantId, r._id, 'scheduled', to, { reason });
    if (!after) continue;
    withdrawn++;
    await deps.index.unschedule(r.endpoint.endpointId, [{ tenantId: r.tenantId, reminderId: r._id }]);
    await deps.events.changed(after, causationId);
  }
  return withdrawn;
}

/**
 * Moves a reminder forward to `to` from whatever state it is in now (compare-and-set, re-read when
 * another writer moved it meanwhile) and publishes the change. False when it is already there or beyond.
 */
export async function advanceReminder(
  deps: Pick<ReminderDeps, 'reminders' | 'events'>,
  record: ReminderRecord,
  to: ReminderStateName,
  set: Partial<ReminderRecord>,
  causationId = '',
): Promise<ReminderRecord | undefined> {
  let current: ReminderRecord | null = record;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    if (!advancesTo(current.state, to)) {
      // Already there or beyond; still remember the wamid so later statuses find it.
      if (set.messageId && !current.messageId) await deps.reminders.transition(current.tenantId, current._id, current.state, current.state, { messageId: set.messageId });
      return undefined;
    }
    const after = await deps.reminders.transition(current.tenantId, current._id, current.state, to, set);
    if (after) {
      await deps.events.changed(after, causationId);
      return after;
    }
    current = await deps.reminders.get(record.tenantId, record._id);
  }
  return undefined;
}
