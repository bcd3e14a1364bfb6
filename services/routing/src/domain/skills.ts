import { Topics, type EventDefinition, type SkillTurn } from '@careloop/contracts';

/** The skills a turn can be handed to; each owns a reply-id namespace and a turn topic. */
export type { SkillName } from '@careloop/skill-kit';
import type { SkillName } from '@careloop/skill-kit';

export const SKILL_NAMES: readonly SkillName[] = ['scheduling', 'triage', 'reminders', 'survey', 'ehr'];

/** Interactive reply ids carry their owner's namespace: "sched:slot:123" belongs to scheduling. */
const NAMESPACES: Readonly<Record<string, SkillName>> = {
  sched: 'scheduling',
  triage: 'triage',
  rem: 'reminders',
  survey: 'survey',
  ehr: 'ehr',
};

export const SKILL_TOPICS: Readonly<Record<SkillName, EventDefinition<SkillTurn>>> = {
  scheduling: Topics.schedulingTurn,
  triage: Topics.triageTurn,
  reminders: Topics.remindersTurn,
  survey: Topics.surveyTurn,
  ehr: Topics.ehrTurn,
};

export function namespaceOf(replyId: string): string {
  const i = replyId.indexOf(':');
  return i > 0 ? replyId.slice(0, i) : '';
}

export function skillForReplyId(replyId: string): SkillName | undefined {
  return NAMESPACES[namespaceOf(replyId)];
}

export function isSkillName(value: string): value is SkillName {
  return (SKILL_NAMES as readonly string[]).includes(value);
}
