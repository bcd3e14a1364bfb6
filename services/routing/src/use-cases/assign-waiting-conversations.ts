import { ConversationState, Topics } from '@careloop/contracts';
import type { EventBus } from '@careloop/bus';
import type { AgentPresence } from '../adapters/agent-presence';
import type { ConversationStore } from '../adapters/conversation-store';
import type { InboxEvents } from '../adapters/inbox-events';
import { chooseAgent, policyFor, type AssignmentPolicy } from '../domain/assignment';
import type { Conversation } from '../domain/conversation';

/**
 * Gives queued conversations to agents by their queue's policy (round-robin,
 * least-busy, online-only), highest priority first. Runs when a conversation is
 * queued and periodically (agents come online, finish conversations).
 */
export class AssignWaitingConversations {
  constructor(
    private readonly conversations: ConversationStore,
    private readonly presence: AgentPresence,
    private readonly bus: EventBus,
    private readonly inbox: InboxEvents,
    private readonly policies: Readonly<Record<string, AssignmentPolicy>>,
  ) {}

  async assign(tenantId: string, conversation: Conversation): Promise<string | undefined> {
    if (conversation.status !== 'queued' || !conversation.queue) return undefined;
    const policy = policyFor(conversation.queue, this.policies);
    if (policy.strategy === 'manual') return undefined;
    const roster = await this.presence.roster(tenantId, conversation.queue);
    if (roster.length === 0) return undefined;
    const active = await this.conversations.list(tenantId, { status: ['with_agent'] }, 1_000);
    const load = (agentId: string) => active.filter((c) => c.agentId === agentId).length;
    const turn = policy.strategy === 'round-robin' ? await this.presence.nextTurn(tenantId, conversation.queue) : 0;
    const agentId = chooseAgent(policy, roster.map((r) => ({ agentId: r.agentId, online: r.online, active: load(r.agentId) })), turn);
    if (!agentId) return undefined;
    const assigned = await this.conversations.assignIfQueued(tenantId, conversation.id, agentId);
    if (!assigned) return undefined;
    await this.bus.publish(
      Topics.handoverChanged,
      { conversationId: assigned.id, contactId: assigned.contactId, state: ConversationState.CONVERSATION_STATE_WITH_AGENT, queue: assigned.queue ?? '', agentId, priority: assigned.priority, reason: `auto_${policy.strategy}`, at: new Date() },
      { key: assigned.contactId, tenantId, facilityId: assigned.facilityId },
    );
    this.inbox.publish(tenantId, { type: 'assigned', conversationId: assigned.id, agentId, queue: assigned.queue });
    return agentId;
  }

  async sweep(): Promise<number> {
    let assigned = 0;
    for (const tenantId of await this.conversations.tenantsWithQueues()) {
      for (const c of await this.conversations.list(tenantId, { status: ['queued'] }, 200)) {
        if (await this.assign(tenantId, c)) assigned++;
      }
    }
    return assigned;
  }
}
