import { resolvePolicy } from '../domain/policy';
import type { ReasonCode } from '../domain/reminder';
import type { ContactGate } from '../adapters/contact-store';
import type { DueEntry } from '../adapters/due-index';
import type { ReminderRecord } from '../adapters/reminder-store';
import { LABEL_FIELD, RECIPIENT_FIELD, type ReminderDeps } from './ports';
import { languageOf, type ReminderMessage, type ReminderMessages } from './reminder-messages';
import type { PlanScheduler } from './plan-scheduler';

/** Sends one reminder message: publishes the outbound command (or does nothing, in the benchmark). */
export interface ReminderSender {
  send(record: ReminderRecord, channelUserId: string, message: ReminderMessage): Promise<void>;
}

export interface FiringOutcome {
  readonly dispatched: number;
  readonly skipped: number;
  readonly alreadyHandled: number;
  /** ms between due time and dispatch, per dispatched reminder. */
  readonly lateness: readonly number[];
}

/** Why a due reminder must not go out now, checked at fire time (consent can change after scheduling). */
export function gateReason(record: ReminderRecord, gate: ContactGate | undefined, now: Date): ReasonCode {
  if (now.getTime() > record.notAfter.getTime()) return 'too-late';
  if (!gate || gate.consent === 'unknown' || gate.consent === 'pending') return 'no-consent';
  if (gate.consent === 'opted-out') return 'opted-out';
  if (gate.optedOutKinds.includes(record.kind)) return 'preference-opt-out';
  return '';
}

/**
 * What happens when timers come due. For each claimed reminder: take it (scheduled → firing, a
 * compare-and-set, so it is taken once), check consent, preferences and lateness now, then either
 * publish its one outbound command (command id derived from the occurrence key), or skip it with a
 * reason. A published reminder stays `firing` until gateway's result moves it on (`sent` or
 * `failed`): marking it `dispatched` in between was a second single-document write per fire, the
 * one FerretDB serialises. A reminder found in `firing` when its timer comes back (a loop that died
 * mid-batch, or an index rebuilt while results were awaited) is published again with the same
 * command id, which gateway sends at most once.
 */
export class FireDueReminders {
  constructor(
    private readonly deps: ReminderDeps,
    private readonly sender: ReminderSender,
    private readonly messages: ReminderMessages,
    private readonly planScheduler: PlanScheduler,
  ) {}

  async execute(endpointId: string, entries: readonly DueEntry[]): Promise<FiringOutcome> {
    const byTenant = new Map<string, string[]>();
    for (const e of entries) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e.reminderId]);
    const outcomes = await Promise.all([...byTenant].map(([tenantId, ids]) => this.fireTenant(tenantId, ids)));
    await this.deps.index.release(endpointId, entries);
    return {
      dispatched: outcomes.reduce((n, o) => n + o.dispatched, 0),
      skipped: outcomes.reduce((n, o) => n + o.skipped, 0),
      alreadyHandled: outcomes.reduce((n, o) => n + o.alreadyHandled, 0),
      lateness: outcomes.flatMap((o) => o.lateness),
    };
  }

  private async fireTenant(tenantId: string, ids: readonly string[]): Promise<FiringOutcome> {
    const { reminders, contacts, clock } = this.deps;
    const taken = await Promise.all(
      ids.map(async (id) => {
        const record = await reminders.transition(tenantId, id, 'scheduled', 'firing');
        if (record) return record;
        // Not scheduled any more: handled, withdrawn, or taken by a loop that died mid-send.
        const current = await reminders.get(tenantId, id);
        return current?.state === 'firing' ? current : undefined;
      }),
    );
    const firing = taken.filter((r): r is ReminderRecord => r !== undefined);
    const gates = await contacts.gates(tenantId, firing.map((r) => r.contactId));
    const now = clock.now();
    const lateness: number[] = [];
    let skipped = 0;
    const dispatched: ReminderRecord[] = [];
    await Promise.all(
      firing.map(async (record) => {
        const gate = gates.get(record.contactId);
        const reason = gateReason(record, gate, now);
        if (reason) {
          const after = await reminders.transition(tenantId, record._id, 'firing', 'skipped', { reason });
          if (after) await this.deps.events.changed(after);
          skipped++;
        } else {
          const policy = resolvePolicy(this.deps.policies, { tenantId, facilityId: record.facilityId, departmentId: record.departmentId });
          const language = languageOf(record, gate?.language);
          const label = record.labelSealed ? this.deps.cipher.decrypt(record.labelSealed, { tenantId, field: LABEL_FIELD }) : '';
          const channelUserId = this.deps.cipher.decrypt(record.recipientSealed, { tenantId, field: RECIPIENT_FIELD });
          await this.sender.send(record, channelUserId, this.messages.forReminder(record, policy, label, language));
          dispatched.push(record);
          lateness.push(clock.now().getTime() - record.dueAt.getTime());
        }
        if (record.planId) await this.planScheduler.scheduleAfter(tenantId, record.planId, record.dueAt);
      }),
    );
    return { dispatched: dispatched.length, skipped, alreadyHandled: ids.length - firing.length, lateness };
  }
}
