import type { Logger } from '@careloop/observability';
import type { SkillResponder } from '@careloop/skill-kit';
import type { SurveyContacts, SurveyDoc, SurveyStore } from '../adapters/survey-store';
import type { SurveyEvents } from '../adapters/survey-events';
import { inQuietHours, localHour } from '../domain/local-time';
import type { SkipReason, SurveyPolicy } from '../domain/survey';
import type { SurveyMessages } from './survey-messages';

const LEASE_MS = 60_000;
const BATCH = 200;

export interface SweepCounts {
  sent: number;
  skipped: Record<SkipReason, number>;
  postponed: number;
}

/**
 * The periodic sweep: every pending survey whose time has come is checked at send time —
 * consent (only an opted-in contact is asked), the per-contact frequency cap, quiet hours in
 * the facility's time zone (postponed to their end), validity (too late: dropped) — and sent as
 * a one-tap list, with the approved template as fallback when the 24-hour window is closed.
 * The command id is the survey id, so gateway sends it at most once even if a sweep repeats.
 * The sweep also republishes survey changes whose event did not go out (the outbox).
 */
export class SendDueSurveys {
  constructor(
    private readonly deps: {
      readonly store: SurveyStore;
      readonly contacts: SurveyContacts;
      readonly events: SurveyEvents;
      readonly responder: SkillResponder;
      readonly messages: SurveyMessages;
      readonly policy: SurveyPolicy;
      readonly logger: Logger;
      readonly now?: () => Date;
    },
  ) {}

  async execute(): Promise<SweepCounts> {
    const counts: SweepCounts = { sent: 0, postponed: 0, skipped: { 'no-consent': 0, 'frequency-cap': 0, 'no-address': 0, expired: 0 } };
    const now = this.deps.now?.() ?? new Date();
    for (const tenantId of await this.deps.store.tenantsWithWork()) {
      for (const doc of await this.deps.store.unpublished(tenantId, BATCH)) await this.deps.events.publish(doc);
      for (const doc of await this.deps.store.pending(tenantId, BATCH)) {
        if (doc.dueAt.getTime() > now.getTime()) continue;
        const leased = await this.deps.store.lease(tenantId, doc._id, now, LEASE_MS);
        if (leased) await this.sendOne(leased, now, counts);
      }
    }
    return counts;
  }

  private async sendOne(doc: SurveyDoc, now: Date, counts: SweepCounts): Promise<void> {
    const { store, contacts, policy } = this.deps;
    const skip = async (reason: SkipReason) => {
      const skipped = await store.transition(doc.tenantId, doc._id, ['pending'], { status: 'skipped', skipReason: reason, recipientSealed: '' });
      if (skipped) await this.deps.events.publish(skipped);
      counts.skipped[reason] += 1;
    };
    if (now.getTime() > doc.dueAt.getTime() + policy.validityMs) return skip('expired');
    if ((await contacts.consentOf(doc.tenantId, doc.contactId)) !== 'opted-in') return skip('no-consent');
    const hour = localHour(now, doc.facilityTimeZone);
    if (inQuietHours(hour, policy.quietHours.start, policy.quietHours.end)) {
      await store.postpone(doc.tenantId, doc._id, endOfQuietHours(now, hour, policy.quietHours.end));
      counts.postponed += 1;
      return;
    }
    if (!doc.recipientSealed) return skip('no-address');
    if (!(await contacts.claimSlot(doc.tenantId, doc.contactId, doc._id, now, policy.frequencyCapMs))) return skip('frequency-cap');

    const recipientId = store.recipientOf(doc);
    await this.deps.responder.notify(
      { tenantId: doc.tenantId, facilityId: doc.facilityId, contactId: doc.contactId, endpoint: doc.endpoint, recipient: { channel: doc.recipientChannel, channelUserId: recipientId } },
      this.deps.messages.ask(doc.language, doc._id, doc.subject, doc.facilityName),
      {
        commandId: doc._id,
        notAfter: new Date(doc.dueAt.getTime() + policy.validityMs),
        templateFallback: this.deps.messages.template(policy.templateName, doc.language, doc._id, doc.facilityName),
      },
    );
    // Sent: the address is no longer needed, so the sealed phone number leaves the store.
    const sent = await store.transition(doc.tenantId, doc._id, ['pending'], { status: 'sent', sentAt: now, recipientSealed: '' });
    if (sent) await this.deps.events.publish(sent);
    counts.sent += 1;
  }
}

/** The instant quiet hours end, to the hour (local hour arithmetic; DST shifts it by at most an hour). */
function endOfQuietHours(now: Date, localHourNow: number, end: number): Date {
  const hoursLeft = (end - localHourNow + 24) % 24 || 24;
  const startOfHour = new Date(now);
  startOfHour.setUTCMinutes(0, 0, 0);
  return new Date(startOfHour.getTime() + hoursLeft * 3_600_000);
}
