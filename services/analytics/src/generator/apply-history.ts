import { reminderObservationOf } from '../adapters/reminder-events';
import type { FactTables } from '../adapters/fact-tables';
import { RecordAppointmentChange } from '../use-cases/record-appointment-change';
import { RecordReminderChange } from '../use-cases/record-reminder-change';
import { RecordSurveyChange } from '../use-cases/record-survey-change';
import type { HistoryEvent } from './synthetic-history';

/**
 * Feeds history events straight to the rollup use cases (what the Kafka handlers call), with
 * `concurrency` in flight and no per-key ordering at all: the rollups must not need it.
 */
export async function applyHistory(facts: FactTables, tenantId: string, events: readonly HistoryEvent[], options: { noticeSeconds?: number; concurrency?: number } = {}): Promise<void> {
  const appointment = new RecordAppointmentChange(facts.appointments, options.noticeSeconds ?? 24 * 3600);
  const reminder = new RecordReminderChange(facts.reminders, facts.appointments);
  const survey = new RecordSurveyChange(facts.surveys);
  const occurredAt = new Date();
  const applyOne = async (event: HistoryEvent): Promise<void> => {
    switch (event.topic) {
      case 'appointment':
        await appointment.execute({ tenantId, payload: event.payload });
        return;
      case 'reminder':
        await reminder.execute(reminderObservationOf({ tenantId, payload: event.payload, occurredAt }));
        return;
      case 'survey':
        await survey.execute({ tenantId, payload: event.payload });
        return;
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next];
      next += 1;
      if (event) await applyOne(event);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, () => worker()));
}
