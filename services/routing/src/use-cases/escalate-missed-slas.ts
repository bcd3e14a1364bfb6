import { ConversationState, Topics } from '@careloop/contracts';
import type { EventBus } from '@careloop/bus';
import type { Counter } from '@careloop/observability';
import type { ConversationStore } from '../adapters/conversation-store';
import type { InboxEvents } from '../adapters/inbox-events';

/**
 * Queued conversations past their first-response target (5 min normal, 2 min
 * high, 1 min emergency) are escalated once: priority raised, supervisors
 * told live, a handover event for the dashboards. Claiming is atomic, so
 * several replicas can run it.
 */
export class EscalateMissedSlas {
  constructor(
    private readonly conversations: ConversationStore,
    private readonly bus: EventBus,
    private readonly inbox: InboxEvents,
    private readonly missed: Counter<'priority'>,
  ) {}

  async execute(now = new Date()): Promise<number> {
    let escalated = 0;
    for (const tenantId of await this.conversations.tenantsWithQueues()) {
      for (const c of await this.conversations.claimSlaBreaches(tenantId, now)) {
        escalated++;
        this.missed.inc({ priority: String(c.priority) });
        await this.bus.publish(
          Topics.handoverChanged,
          { conversationId: c.id, contactId: c.contactId, state: ConversationState.CONVERSATION_STATE_QUEUED, queue: c.queue ?? '', agentId: '', priority: c.priority, reason: 'sla_missed', at: now },
          { key: c.contactId, tenantId, facilityId: c.facilityId },
        );
        this.inbox.publish(tenantId, { type: 'sla_missed', conversationId: c.id, queue: c.queue });
      }
    }
    return escalated;
  }
}
