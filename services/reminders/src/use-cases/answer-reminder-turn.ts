import { ObservationRecorded, Topics, type SkillTurn } from '@careloop/contracts';
import { nameBasedId, type EventBus, type ReceivedEvent } from '@careloop/bus';
import { buttonsMessage, replyIdParts, textMessage, type MessageContent, type SkillResponder, type TurnOutcome } from '@careloop/skill-kit';
import { GLUCOSE_CODES, parseGlucose } from '../domain/glucose';
import type { ContactStore } from '../adapters/contact-store';
import type { ReminderRecord } from '../adapters/reminder-store';
import type { SchedulingPort } from '../adapters/scheduling-client';
import type { MessageKey } from '../i18n/catalog';
import { advanceReminder, type ReminderDeps } from './ports';
import { languageOf, REPLY, whenOf, type ReminderMessages } from './reminder-messages';
import type { PlanScheduler } from './plan-scheduler';

const SNOOZE_MS = 30 * 60_000;
/** Unreadable readings in a row before the prompt gives the conversation back to the menu. */
const MAX_READING_ATTEMPTS = 3;

/**
 * What happens when a patient answers a reminder: Confirm / Reschedule / Cancel on an appointment
 * reminder, Taken / Snooze / Skip on a medication reminder, and the reading typed after a
 * vital-sign prompt (published as an observation). Every answer's ids derive from the turn, so a
 * redelivered turn re-sends nothing.
 */
export class AnswerReminderTurn {
  constructor(
    private readonly deps: ReminderDeps,
    private readonly contacts: ContactStore,
    private readonly scheduling: SchedulingPort,
    private readonly responder: SkillResponder,
    private readonly messages: ReminderMessages,
    private readonly planScheduler: PlanScheduler,
    private readonly bus: EventBus,
  ) {}

  async execute(turn: ReceivedEvent<SkillTurn>): Promise<void> {
    const t = turn.payload;
    const language = languageOf({ language: t.language });
    const say = (key: MessageKey, values?: Record<string, string | number>) => textMessage(this.messages.t(language, key, values));
    const answer = (messages: MessageContent[], outcome: TurnOutcome) => this.responder.answer(turn, messages, outcome);

    const [namespace, action = '', reminderId = ''] = replyIdParts(t.replyId);
    if (namespace !== 'rem') return this.answerReading(turn, say, answer);

    const record = reminderId ? await this.deps.reminders.get(turn.tenantId, reminderId) : null;
    // Someone else's reply id, or a reminder withdrawn since: nothing to act on.
    if (!record || record.contactId !== t.contactId || record.state === 'cancelled' || (record.state === 'skipped' && record.reason !== 'patient-skipped')) {
      return answer([say('reminder.inactive')], { kind: 'done', reason: 'reminder-inactive' });
    }
    const when = whenOf(record.appointmentStart ?? record.dueAt, record.timeZone, language);

    switch (action) {
      case REPLY.confirm:
      case REPLY.cancel: {
        if (record.kind !== 'appointment') return answer([say('reminder.inactive')], { kind: 'done', reason: 'reminder-inactive' });
        const confirm = action === REPLY.confirm;
        const result = confirm ? await this.scheduling.confirm(turn.tenantId, record.appointmentId) : await this.scheduling.cancel(turn.tenantId, record.appointmentId);
        if (result === 'unavailable') return answer([say('appointment.unavailable')], { kind: 'done', reason: 'scheduling-unavailable' });
        if (result === 'gone') return answer([say('appointment.gone')], { kind: 'done', reason: 'appointment-gone' });
        await advanceReminder(this.deps, record, confirm ? 'confirmed' : 'cancelled-by-patient', {}, turn.id);
        return answer([say(confirm ? 'appointment.confirmed' : 'appointment.cancelled', when)], { kind: 'done', reason: confirm ? 'confirmed' : 'cancelled' });
      }
      case REPLY.reschedule: {
        if (record.kind !== 'appointment') return answer([say('reminder.inactive')], { kind: 'done', reason: 'reminder-inactive' });
        // The booking dialogue is scheduling's; its button hands the patient over with the appointment to move.
        const handOver = buttonsMessage({
          body: this.messages.t(language, 'appointment.reschedule'),
          buttons: [{ id: `sched:mv:${record.appointmentId}`, title: this.messages.t(language, 'appointment.reply.choose') }],
        });
        return answer([handOver], { kind: 'done', reason: 'reschedule-requested' });
      }
      case REPLY.taken:
        await advanceReminder(this.deps, record, 'confirmed', { reason: 'taken' }, turn.id);
        return answer([say('medication.taken')], { kind: 'done', reason: 'medication-taken' });
      case REPLY.skip:
        await advanceReminder(this.deps, record, 'skipped', { reason: 'patient-skipped' }, turn.id);
        return answer([say('medication.skipped')], { kind: 'done', reason: 'medication-skipped' });
      case REPLY.snooze: {
        const snoozed = await advanceReminder(this.deps, record, 'snoozed', { reason: 'patient-snoozed' }, turn.id);
        // Thirty minutes after the press (not after the due time); one more occurrence with its own key.
        if (snoozed || record.state === 'snoozed') await this.planScheduler.scheduleAgain(record, `${record.occurrenceKey}:snooze`, new Date(this.deps.clock.now().getTime() + SNOOZE_MS));
        return answer([say('medication.snoozed')], { kind: 'done', reason: 'medication-snoozed' });
      }
      case REPLY.reading:
        await this.contacts.setAwaitingReading(turn.tenantId, t.contactId, { reminderId: record._id, attempts: 0 });
        return answer([say('vital.ask')], { kind: 'continue' });
      default:
        return answer([say('reminder.inactive')], { kind: 'done', reason: 'unknown-action' });
    }
  }

  /** Free text while reminders owns the conversation: the reading a vital-sign prompt asked for. */
  private async answerReading(
    turn: ReceivedEvent<SkillTurn>,
    say: (key: MessageKey, values?: Record<string, string | number>) => MessageContent,
    answer: (messages: MessageContent[], outcome: TurnOutcome) => Promise<void>,
  ): Promise<void> {
    const t = turn.payload;
    const contact = await this.contacts.get(turn.tenantId, t.contactId);
    const awaiting = contact?.awaitingReading;
    const record: ReminderRecord | null = awaiting ? await this.deps.reminders.get(turn.tenantId, awaiting.reminderId) : null;
    if (!awaiting || !record) return answer([], { kind: 'hand-back', reason: 'nothing-pending' });
    const body = t.message?.content?.$case === 'text' ? t.message.content.value.body : '';
    const reading = parseGlucose(body);
    if (reading.kind !== 'reading') {
      const attempts = awaiting.attempts + 1;
      if (attempts >= MAX_READING_ATTEMPTS) {
        await this.contacts.setAwaitingReading(turn.tenantId, t.contactId, null);
        return answer([say('vital.unreadable')], { kind: 'hand-back', reason: 'reading-unreadable' });
      }
      await this.contacts.setAwaitingReading(turn.tenantId, t.contactId, { reminderId: awaiting.reminderId, attempts });
      return answer([say(reading.kind === 'implausible' ? 'vital.implausible' : 'vital.reask')], { kind: 'continue' });
    }
    const code = GLUCOSE_CODES[reading.unit];
    await this.bus.publish(
      Topics.observationRecorded,
      ObservationRecorded.fromPartial({
        observationId: nameBasedId(turn.tenantId, 'reminders', 'observation', record._id),
        tenantId: turn.tenantId,
        facilityId: record.facilityId,
        patientId: record.patientId,
        contactId: record.contactId,
        reminderId: record._id,
        codeSystem: code.system,
        code: code.code,
        value: reading.value,
        unit: reading.unit,
        effectiveAt: t.receivedAt ?? turn.occurredAt,
        unitInferred: reading.unitInferred,
      }),
      { key: record.contactId, tenantId: turn.tenantId, facilityId: record.facilityId, id: nameBasedId(turn.tenantId, 'reminders', 'observation', record._id), causationId: turn.id },
    );
    await advanceReminder(this.deps, record, 'confirmed', { reason: 'reading-recorded' }, turn.id);
    await this.contacts.setAwaitingReading(turn.tenantId, t.contactId, null);
    const language = languageOf({ language: t.language });
    return answer([say('vital.recorded', { value: new Intl.NumberFormat(language).format(reading.value), unit: reading.unit })], { kind: 'done', reason: 'reading-recorded' });
  }
}
