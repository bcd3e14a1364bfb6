import { DateTime } from 'luxon';
import { TemplateComponentType, type TemplateMessage, type TemplateParameter } from '@careloop/contracts';
import { buttonsMessage, type MessageContent } from '@careloop/skill-kit';
import { DEFAULT_LANGUAGE, isLanguage, type Catalog, type Language, type MessageKey } from '../i18n/catalog';
import type { ReminderPolicy } from '../domain/policy';
import type { ReminderRecord } from '../adapters/reminder-store';

/** Reply ids of reminder buttons: "rem:<action>:<reminder id>" (routing sends "rem:" to reminders). */
export const REPLY = {
  confirm: 'confirm',
  reschedule: 'reschedule',
  cancel: 'cancel',
  taken: 'taken',
  snooze: 'snooze',
  skip: 'skip',
  reading: 'reading',
} as const;
export type ReplyAction = (typeof REPLY)[keyof typeof REPLY];

export function replyId(action: ReplyAction, reminderId: string): string {
  return `rem:${action}:${reminderId}`;
}

/** A message as the firing loop sends it: interactive inside the 24-hour window, a template outside. */
export interface ReminderMessage {
  readonly content: MessageContent;
  readonly templateFallback: TemplateMessage;
}

export function languageOf(record: { language: string }, preferred = ''): Language {
  if (isLanguage(preferred)) return preferred;
  return isLanguage(record.language) ? record.language : DEFAULT_LANGUAGE;
}

/** Date and time of an instant as the patient reads them, in the facility's zone and the patient's language. */
export function whenOf(instant: Date, zone: string, language: Language): { date: string; time: string } {
  const local = DateTime.fromJSDate(instant, { zone: zone || 'UTC' }).setLocale(language);
  return { date: local.toLocaleString({ weekday: 'long', day: 'numeric', month: 'long' }), time: local.toLocaleString(DateTime.TIME_SIMPLE) };
}

function text(value: string): TemplateParameter {
  return { value: { $case: 'text', value }, parameterName: '' };
}

function template(name: string, language: Language, body: readonly string[], payloads: readonly string[]): TemplateMessage {
  return {
    name,
    languageCode: language,
    components: [
      { type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: body.map(text) },
      ...payloads.map((payload, index) => ({
        type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON,
        subType: 'quick_reply',
        index,
        parameters: [{ value: { $case: 'payload' as const, value: payload }, parameterName: '' }],
      })),
    ],
  };
}

/** The words of each reminder, from the catalogue; nothing here is hard-coded patient text. */
export class ReminderMessages {
  constructor(private readonly catalog: Catalog) {}

  t(language: Language, key: MessageKey, values?: Record<string, string | number>): string {
    return this.catalog.t(language, key, values);
  }

  /**
   * Template body parameters by kind (the approved templates' placeholders, in order):
   * appointment {{1}} date {{2}} time {{3}} place {{4}} practitioner; medication {{1}} label;
   * follow-up {{1}} label; vital sign: none. Quick replies carry the same reply ids as the buttons.
   */
  forReminder(record: ReminderRecord, policy: ReminderPolicy, label: string, language: Language): ReminderMessage {
    switch (record.kind) {
      case 'appointment': {
        const d = record.display;
        const { date, time } = whenOf(record.appointmentStart ?? record.dueAt, record.timeZone, language);
        const place = [d?.facilityName, d?.departmentName].filter(Boolean).join(', ') || '-';
        const lines = [this.t(language, 'appointment.body', { date, time, place })];
        if (d?.practitionerName) lines.push(this.t(language, 'appointment.with', { practitioner: d.practitionerName }));
        if (d?.facilityAddress) lines.push(this.t(language, 'appointment.address', { address: d.facilityAddress }));
        const preparation = d?.serviceType ? policy.serviceTypes[d.serviceType]?.preparation : undefined;
        const instructions = preparation?.[language] ?? preparation?.['en'];
        if (instructions) lines.push(this.t(language, 'appointment.preparation', { instructions }));
        const buttons = record.askConfirmation
          ? [
              { id: replyId(REPLY.confirm, record._id), title: this.t(language, 'appointment.reply.confirm') },
              { id: replyId(REPLY.reschedule, record._id), title: this.t(language, 'appointment.reply.reschedule') },
              { id: replyId(REPLY.cancel, record._id), title: this.t(language, 'appointment.reply.cancel') },
            ]
          : [
              { id: replyId(REPLY.reschedule, record._id), title: this.t(language, 'appointment.reply.reschedule') },
              { id: replyId(REPLY.cancel, record._id), title: this.t(language, 'appointment.reply.cancel') },
            ];
        if (record.askConfirmation) lines.push(this.t(language, 'appointment.ask'));
        return {
          content: buttonsMessage({ body: lines.join('\n'), buttons }),
          templateFallback: template(policy.templates.appointment, language, [date, time, place, d?.practitionerName || '-'], buttons.map((b) => b.id)),
        };
      }
      case 'medication': {
        const buttons = [
          { id: replyId(REPLY.taken, record._id), title: this.t(language, 'medication.reply.taken') },
          { id: replyId(REPLY.snooze, record._id), title: this.t(language, 'medication.reply.snooze') },
          { id: replyId(REPLY.skip, record._id), title: this.t(language, 'medication.reply.skip') },
        ];
        return {
          content: buttonsMessage({ body: this.t(language, 'medication.body', { medication: label || '-' }), buttons }),
          templateFallback: template(policy.templates.medication, language, [label || '-'], buttons.map((b) => b.id)),
        };
      }
      case 'follow-up': {
        // The booking dialogue is scheduling's: its namespace, with the department to book in.
        const buttons = [{ id: `sched:book:${record.departmentId}`, title: this.t(language, 'followup.reply.book') }];
        return {
          content: buttonsMessage({ body: this.t(language, 'followup.body', { label: label || '-' }), buttons }),
          templateFallback: template(policy.templates.followUp, language, [label || '-'], buttons.map((b) => b.id)),
        };
      }
      case 'vital-sign': {
        const buttons = [{ id: replyId(REPLY.reading, record._id), title: this.t(language, 'vital.reply.send') }];
        return {
          content: buttonsMessage({ body: this.t(language, 'vital.body'), buttons }),
          templateFallback: template(policy.templates.vitalSign, language, [], buttons.map((b) => b.id)),
        };
      }
    }
  }
}
