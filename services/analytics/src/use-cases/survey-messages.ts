import { TemplateComponentType, type TemplateMessage } from '@careloop/contracts';
import { buttonsMessage, listMessage, textMessage, type MessageContent } from '@careloop/skill-kit';
import type { Language } from '@careloop/i18n';
import type { Catalog, MessageKey } from '../i18n/catalog';
import { rateReplyId, skipReplyId } from '../domain/survey';

const ROWS: readonly { rating: number; key: MessageKey }[] = [
  { rating: 5, key: 'survey.row.r5.title' },
  { rating: 4, key: 'survey.row.r4.title' },
  { rating: 3, key: 'survey.row.r3.title' },
  { rating: 2, key: 'survey.row.r2.title' },
  { rating: 1, key: 'survey.row.r1.title' },
];

/** The survey's messages, in the patient's language, from the catalogue. */
export class SurveyMessages {
  constructor(private readonly catalog: Catalog) {}

  /** The one-tap rating: a native interactive list of 5 → 1. */
  ask(language: Language, surveyId: string, subject: 'appointment' | 'conversation', facilityName: string): MessageContent {
    const body = subject === 'appointment' && facilityName ? this.catalog.t(language, 'survey.ask.visit', { facility: facilityName }) : this.catalog.t(language, 'survey.ask.conversation');
    return listMessage({
      body,
      button: this.catalog.t(language, 'survey.button'),
      sections: [{ title: this.catalog.t(language, 'survey.section'), rows: ROWS.map((r) => ({ id: rateReplyId(surveyId, r.rating), title: this.catalog.t(language, r.key) })) }],
    });
  }

  /**
   * Outside the 24-hour window: the approved template, its body naming the facility and five
   * quick-reply buttons whose payloads are the same rating reply ids.
   */
  template(templateName: string, language: Language, surveyId: string, facilityName: string): TemplateMessage {
    return {
      name: templateName,
      languageCode: language,
      components: [
        { type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: [{ value: { $case: 'text', value: facilityName || '-' }, parameterName: '' }] },
        ...ROWS.map((r, index) => ({
          type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON,
          subType: 'quick_reply',
          index,
          parameters: [{ value: { $case: 'payload' as const, value: rateReplyId(surveyId, r.rating) }, parameterName: '' }],
        })),
      ],
    };
  }

  askComment(language: Language, surveyId: string): MessageContent {
    return buttonsMessage({ body: this.catalog.t(language, 'survey.comment.ask'), buttons: [{ id: skipReplyId(surveyId), title: this.catalog.t(language, 'survey.reply.skip') }] });
  }

  thanks(language: Language): MessageContent {
    return textMessage(this.catalog.t(language, 'survey.thanks'));
  }

  closed(language: Language): MessageContent {
    return textMessage(this.catalog.t(language, 'survey.closed'));
  }
}
