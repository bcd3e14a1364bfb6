import type { ReceivedEvent } from '@careloop/bus';
import type { SkillTurn } from '@careloop/contracts';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '@careloop/i18n';
import type { SkillResponder } from '@careloop/skill-kit';
import type { SurveyContacts, SurveyStore } from '../adapters/survey-store';
import type { SurveyEvents } from '../adapters/survey-events';
import { MAX_COMMENT_LENGTH, parseSurveyReply } from '../domain/survey';
import { sentimentOf } from '../domain/sentiment';
import type { SurveyMessages } from './survey-messages';

/**
 * What happens when the patient answers a survey (turns on survey.turn.v1):
 * - a rating from the list or template → recorded, then "anything to add?" and the skill keeps
 *   the conversation (CONTINUE) to receive the optional comment;
 * - Skip → thanks, DONE;
 * - free text while a comment is awaited → scored for sentiment in the patient's language,
 *   sealed, thanks, DONE.
 * Every answer's ids derive from the turn id (SkillResponder), so a redelivered turn re-sends
 * nothing new; the store's status transitions make the second recording a no-op.
 */
export class AnswerSurveyTurn {
  constructor(
    private readonly deps: {
      readonly store: SurveyStore;
      readonly contacts: SurveyContacts;
      readonly events: SurveyEvents;
      readonly responder: SkillResponder;
      readonly messages: SurveyMessages;
    },
  ) {}

  async execute(turn: ReceivedEvent<SkillTurn>): Promise<void> {
    const t = turn.payload;
    const language: Language = isLanguage(t.language) ? t.language : DEFAULT_LANGUAGE;
    const { store, contacts, events, responder, messages } = this.deps;
    const reply = parseSurveyReply(t.replyId);
    const now = t.receivedAt ?? turn.occurredAt;

    if (reply) {
      const survey = await store.get(turn.tenantId, reply.surveyId);
      if (!survey || survey.contactId !== t.contactId || survey.status === 'pending' || survey.status === 'skipped') {
        return responder.answer(turn, [messages.closed(language)], { kind: 'done', reason: 'survey-not-open' });
      }
      if (reply.kind === 'rate') {
        if (survey.status === 'commented') return responder.answer(turn, [messages.thanks(language)], { kind: 'done', reason: 'survey-complete' });
        const rated = await store.transition(turn.tenantId, survey._id, ['sent', 'rated'], { status: 'rated', rating: reply.rating, ratedAt: now, language });
        if (rated) await events.publish(rated);
        await contacts.awaitComment(turn.tenantId, t.contactId, survey._id);
        return responder.answer(turn, [messages.askComment(language, survey._id)], { kind: 'continue' });
      }
      const done = await store.transition(turn.tenantId, survey._id, ['rated'], { status: 'commented', hasComment: false });
      if (done) await events.publish(done);
      await contacts.stopAwaiting(turn.tenantId, t.contactId, survey._id);
      return responder.answer(turn, [messages.thanks(language)], { kind: 'done', reason: 'survey-complete' });
    }

    const text = t.message?.content?.$case === 'text' ? t.message.content.value.body.trim() : '';
    const awaiting = await contacts.awaitingComment(turn.tenantId, t.contactId);
    if (!awaiting || !text) return responder.answer(turn, [], { kind: 'hand-back', reason: awaiting ? 'comment-not-text' : 'no-survey-open' });
    const comment = text.slice(0, MAX_COMMENT_LENGTH);
    const sentiment = sentimentOf(comment, language);
    const commented = await store.transition(turn.tenantId, awaiting, ['rated'], {
      status: 'commented',
      hasComment: true,
      commentSealed: store.sealComment(turn.tenantId, comment),
      commentAt: now,
      sentimentScore: sentiment.score,
      language,
    });
    if (commented) await events.publish(commented);
    await contacts.stopAwaiting(turn.tenantId, t.contactId, awaiting);
    return responder.answer(turn, [messages.thanks(language)], { kind: 'done', reason: 'survey-complete' });
  }
}
