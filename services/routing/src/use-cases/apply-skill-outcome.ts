import { ConversationState, HandoverPriority, SkillOutcomeKind, Topics, type SkillOutcome } from '@careloop/contracts';
import type { EventBus, ReceivedEvent } from '@careloop/bus';
import type { ConversationStore } from '../adapters/conversation-store';
import type { InboxEvents } from '../adapters/inbox-events';
import { PRIORITY, queueName } from '../domain/conversation';
import { isSkillName } from '../domain/skills';
import type { AssignWaitingConversations } from './assign-waiting-conversations';
import type { BackToMenu } from './back-to-menu';

const PRIORITIES: Record<HandoverPriority, number> = {
  [HandoverPriority.HANDOVER_PRIORITY_UNSPECIFIED]: PRIORITY.normal,
  [HandoverPriority.HANDOVER_PRIORITY_NORMAL]: PRIORITY.normal,
  [HandoverPriority.HANDOVER_PRIORITY_HIGH]: PRIORITY.high,
  [HandoverPriority.HANDOVER_PRIORITY_EMERGENCY]: PRIORITY.emergency,
  [HandoverPriority.UNRECOGNIZED]: PRIORITY.normal,
};

/**
 * A skill's word after its turn: it keeps the conversation (its next turns go
 * to it), gives it back to the menu, or escalates to a human — an emergency
 * from triage jumps the queue.
 */
export class ApplySkillOutcome {
  constructor(
    private readonly deps: {
      readonly conversations: ConversationStore;
      readonly bus: EventBus;
      readonly inbox: InboxEvents;
      readonly assigner: AssignWaitingConversations;
      /** The menu after a HAND_BACK ("back to the menu"). */
      readonly backToMenu: Pick<BackToMenu, 'send'>;
      /** Runs the identity verification a skill asks for (VERIFY); absent, such a request is ignored. */
      readonly verification?: { request(event: ReceivedEvent<SkillOutcome>): Promise<void> };
    },
  ) {}

  async execute(event: ReceivedEvent<SkillOutcome>): Promise<void> {
    const outcome = event.payload;
    const tenantId = event.tenantId;
    const { conversations, bus, inbox, assigner } = this.deps;
    const conversation = await conversations.get(tenantId, outcome.conversationId);
    if (!conversation || conversation.status === 'closed') return;
    switch (outcome.kind) {
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE:
        if (isSkillName(outcome.skill)) await conversations.setOwner(tenantId, conversation.id, outcome.skill);
        return;
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE:
        if (conversation.ownerSkill === outcome.skill) await conversations.setOwner(tenantId, conversation.id, undefined);
        return;
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_HAND_BACK:
        if (conversation.ownerSkill === outcome.skill) await conversations.setOwner(tenantId, conversation.id, undefined);
        await this.deps.backToMenu.send(event, conversation);
        return;
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE: {
        const priority = PRIORITIES[outcome.priority];
        const department = outcome.department || 'general';
        const queue = queueName(conversation.facilityId, department);
        const queued = await conversations.enqueue(tenantId, conversation.id, queue, department, Math.max(priority, conversation.priority), new Date());
        if (!queued) return;
        await bus.publish(
          Topics.handoverChanged,
          { conversationId: queued.id, contactId: queued.contactId, state: ConversationState.CONVERSATION_STATE_QUEUED, queue, agentId: '', priority: queued.priority, reason: outcome.reason || `escalated_by_${outcome.skill}`, at: new Date() },
          { key: queued.contactId, tenantId, facilityId: queued.facilityId, causationId: event.id },
        );
        inbox.publish(tenantId, { type: 'queued', conversationId: queued.id, queue });
        await assigner.assign(tenantId, queued);
        return;
      }
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY:
        await this.deps.verification?.request(event);
        return;
      case SkillOutcomeKind.SKILL_OUTCOME_KIND_UNSPECIFIED:
      case SkillOutcomeKind.UNRECOGNIZED:
        return;
    }
  }
}
