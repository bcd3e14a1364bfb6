import {
  Channel,
  HandoverPriority,
  OutboundMessageCommand,
  SkillOutcome,
  SkillOutcomeKind,
  Topics,
  type BusinessEndpoint,
  type ChannelIdentity,
  type SkillTurn,
  type TemplateMessage,
} from '@careloop/contracts';
import { nameBasedId, type EventBus, type ReceivedEvent } from '@careloop/bus';
import type { MessageContent } from './content';

/** The skills routing dispatches to; each owns a reply-id namespace and a turn topic. */
export type SkillName = 'scheduling' | 'triage' | 'reminders' | 'survey' | 'ehr';

/** What a skill says about the conversation after a turn. */
export type TurnOutcome =
  /** The skill keeps the conversation: the patient's next free text comes to it. */
  | { readonly kind: 'continue' }
  /** The flow ended: the menu owns the conversation again. */
  | { readonly kind: 'done'; readonly reason?: string }
  /** The skill cannot help: back to the menu with an apology. */
  | { readonly kind: 'hand-back'; readonly reason: string }
  /** A human must take over, in that department's queue. */
  | { readonly kind: 'escalate'; readonly priority: 'normal' | 'high' | 'emergency'; readonly department: string; readonly reason: string }
  /** Routing must verify the patient's identity first; it hands a turn back with `verified` set. */
  | { readonly kind: 'verify'; readonly purpose: string };

/** Where a message goes when it is not an answer to a turn (a reminder, a survey). */
export interface Addressee {
  readonly tenantId: string;
  readonly facilityId: string;
  readonly contactId: string;
  readonly conversationId?: string;
  readonly endpoint: BusinessEndpoint;
  readonly recipient: Pick<ChannelIdentity, 'channel' | 'channelUserId'>;
}

export interface NotifyOptions {
  /** Deterministic id of this message (e.g. from the reminder occurrence): gateway sends it once. */
  readonly commandId: string;
  /** A message that would arrive after this is useless: gateway fails it instead. */
  readonly notAfter?: Date;
  /** Sent instead when the 24-hour window is closed. */
  readonly templateFallback?: TemplateMessage;
  /** Higher goes first when gateway has to queue (emergencies). */
  readonly priority?: number;
  readonly causationId?: string;
}

const OUTCOME_KINDS: Record<TurnOutcome['kind'], SkillOutcomeKind> = {
  continue: SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE,
  done: SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE,
  'hand-back': SkillOutcomeKind.SKILL_OUTCOME_KIND_HAND_BACK,
  escalate: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE,
  verify: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY,
};

const PRIORITIES = {
  normal: HandoverPriority.HANDOVER_PRIORITY_NORMAL,
  high: HandoverPriority.HANDOVER_PRIORITY_HIGH,
  emergency: HandoverPriority.HANDOVER_PRIORITY_EMERGENCY,
} as const;

/** Record key of outbound commands: one person's messages leave in order. */
export function recipientKey(recipient: Pick<ChannelIdentity, 'channel' | 'channelUserId'>): string {
  return `${recipient.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp'}:${recipient.channelUserId}`;
}

/**
 * How a skill speaks. `answer` replies to a turn routing handed over: the messages in order,
 * then the outcome. Every id derives from the turn id, so a redelivered turn re-sends nothing
 * (gateway sends each command id once) and re-reports the same outcome (routing dedupes it).
 * Consent was checked by routing before the turn was dispatched; `notify` (messages the skill
 * starts itself) leaves the consent check to the caller, at send time.
 */
export class SkillResponder {
  constructor(
    private readonly bus: EventBus,
    readonly skill: SkillName,
  ) {}

  async answer(turn: ReceivedEvent<SkillTurn>, messages: readonly MessageContent[], outcome: TurnOutcome): Promise<void> {
    const t = turn.payload;
    const to = {
      tenantId: turn.tenantId,
      facilityId: t.facilityId || turn.facilityId,
      contactId: t.contactId,
      conversationId: t.conversationId,
      endpoint: t.endpoint ?? { channel: Channel.CHANNEL_UNSPECIFIED, endpointId: '', displayAddress: '', accountId: '' },
      recipient: { channel: t.recipient?.channel ?? Channel.CHANNEL_UNSPECIFIED, channelUserId: t.recipient?.channelUserId ?? '' },
    };
    // Published without awaiting one by one: the bus keeps the order of one key's records.
    const sends = messages.map((content, i) =>
      this.notify(to, content, { commandId: nameBasedId(turn.tenantId, this.skill, t.turnId, String(i)), causationId: turn.id }),
    );
    const report = this.bus.publish(Topics.skillOutcome, this.outcomeOf(t, outcome), {
      key: t.contactId,
      tenantId: turn.tenantId,
      facilityId: to.facilityId,
      id: nameBasedId(turn.tenantId, this.skill, t.turnId, 'outcome'),
      causationId: turn.id,
      correlationId: t.conversationId,
    });
    await Promise.all([...sends, report]);
  }

  /** Sends one message the skill starts itself; returns its command id. */
  async notify(to: Addressee, content: MessageContent, options: NotifyOptions): Promise<string> {
    const command = OutboundMessageCommand.fromPartial({
      commandId: options.commandId,
      from: to.endpoint,
      to: { channel: to.recipient.channel, channelUserId: to.recipient.channelUserId },
      requestedBy: this.skill,
      contactId: to.contactId,
      conversationId: to.conversationId ?? '',
      content,
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.templateFallback ? { templateFallback: options.templateFallback } : {}),
      priority: options.priority ?? 0,
    });
    await this.bus.publish(Topics.outboundCommand, command, {
      key: recipientKey(to.recipient),
      tenantId: to.tenantId,
      facilityId: to.facilityId,
      id: options.commandId,
      causationId: options.causationId ?? '',
      correlationId: to.conversationId ?? '',
    });
    return options.commandId;
  }

  private outcomeOf(turn: SkillTurn, outcome: TurnOutcome): SkillOutcome {
    return SkillOutcome.fromPartial({
      turnId: turn.turnId,
      contactId: turn.contactId,
      conversationId: turn.conversationId,
      skill: this.skill,
      kind: OUTCOME_KINDS[outcome.kind],
      ...(outcome.kind === 'escalate' ? { priority: PRIORITIES[outcome.priority], department: outcome.department, reason: outcome.reason } : {}),
      ...(outcome.kind === 'hand-back' || outcome.kind === 'done' ? { reason: outcome.reason ?? '' } : {}),
      ...(outcome.kind === 'verify' ? { verifyPurpose: outcome.purpose } : {}),
    });
  }
}
