import type { SkillName } from './skills';

/** Who has the conversation: the bot (menu or a skill), the queue for humans, an agent, or nobody. */
export type ConversationStatus = 'bot' | 'queued' | 'with_agent' | 'closed';

export type ConsentStatus = 'unknown' | 'pending' | 'opted_in' | 'opted_out';

export interface Conversation {
  readonly id: string;
  readonly tenantId: string;
  readonly contactId: string;
  readonly facilityId: string;
  readonly channel: string;
  readonly endpointId: string;
  readonly recipientId: string;
  readonly status: ConversationStatus;
  readonly ownerSkill: SkillName | undefined;
  readonly queue: string | undefined;
  readonly department: string | undefined;
  readonly priority: number;
  readonly agentId: string | undefined;
  readonly openedAt: Date;
  readonly lastInboundAt: Date | undefined;
  readonly queuedAt: Date | undefined;
  readonly firstResponseAt: Date | undefined;
  readonly slaDueAt: Date | undefined;
  readonly notUnderstood: number;
}

/** Queue names are per facility and department: "<facility>/<department>". */
export function queueName(facilityId: string, department: string): string {
  return `${facilityId || 'network'}/${department || 'general'}`;
}

/** Handover priorities as numbers (higher first); the proto's enum values map onto them. */
export const PRIORITY = { normal: 1, high: 2, emergency: 3 } as const;

/** First-response targets by priority, in seconds. */
export const FIRST_RESPONSE_SLA_SECONDS: Readonly<Record<number, number>> = { 1: 300, 2: 120, 3: 60 };

/** After this many messages the bot did not understand in a row, a person takes over. */
export const NOT_UNDERSTOOD_LIMIT = 2;
