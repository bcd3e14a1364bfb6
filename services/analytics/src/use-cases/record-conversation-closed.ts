import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { Channel, type ConversationClosed } from '@careloop/contracts';
import { localBuckets } from '../domain/local-time';
import type { FactDoc, FactTable } from '../adapters/fact-tables';

/** A conversation is not contained by the bot if the patient came back within this long after it closed. */
export const RETURN_WINDOW_MS = 48 * 3_600_000;

/**
 * What happens when a conversation closes: its fact records who handled it, first human
 * response and resolution times. Bot containment needs the contact's next conversation, which
 * may arrive before or after this one, so every close re-derives the "returned within 48 h"
 * flag of all that contact's conversations (a point lookup by contact: few documents).
 */
export class RecordConversationClosed {
  constructor(private readonly facts: FactTable) {}

  async execute(event: Pick<ReceivedEvent<ConversationClosed>, 'tenantId' | 'facilityId' | 'payload'>): Promise<void> {
    const c = event.payload;
    if (!c.conversationId) throw new NonRetryableError('conversation_id is required');
    if (!c.closedAt || !c.openedAt) throw new NonRetryableError('opened_at and closed_at are required');
    const { day, week, month } = localBuckets(c.closedAt, 'UTC');
    const handedOver = c.handledByAgent ? 1 : 0;
    await this.facts.raise(
      event.tenantId,
      c.conversationId,
      { conversations: 1 },
      {
        day,
        week,
        month,
        contactId: c.contactId,
        facilityId: c.facilityId || event.facilityId,
        department: c.department,
        channel: c.endpoint?.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp',
        openedAt: c.openedAt.getTime(),
        closedAt: c.closedAt.getTime(),
        handedOver,
        resolutionSeconds: Math.max(0, Math.round((c.closedAt.getTime() - c.openedAt.getTime()) / 1000)),
        ...(handedOver && c.firstResponseSeconds > 0 ? { firstResponseSeconds: c.firstResponseSeconds } : {}),
      },
    );
    if (c.contactId) await this.rederiveContainment(event.tenantId, c.contactId);
  }

  private async rederiveContainment(tenantId: string, contactId: string): Promise<void> {
    const mine = await this.facts.where(tenantId, { contactId });
    const opened = mine.map((d) => num(d, 'openedAt'));
    for (const doc of mine) {
      const closedAt = num(doc, 'closedAt');
      const returned = opened.some((o) => o > closedAt && o <= closedAt + RETURN_WINDOW_MS) ? 1 : 0;
      const contained = num(doc, 'handedOver') === 0 && returned === 0 ? 1 : 0;
      if (doc['returned'] !== returned || doc['contained'] !== contained) {
        await this.facts.setFields(tenantId, doc._id.slice(tenantId.length + 1), { returned, contained });
      }
    }
  }
}

function num(doc: FactDoc, field: string): number {
  const v = doc[field];
  return typeof v === 'number' ? v : 0;
}
