import type { SkillResponder } from '@careloop/skill-kit';
import type { ReminderSender } from '../use-cases/fire-due-reminders';
import type { ReminderMessage } from '../use-cases/reminder-messages';
import type { ReminderRecord } from './reminder-store';

/** Sends through gateway: one OutboundMessageCommand whose id is the occurrence's command id. */
export class ResponderSender implements ReminderSender {
  constructor(private readonly responder: SkillResponder) {}

  async send(record: ReminderRecord, channelUserId: string, message: ReminderMessage): Promise<void> {
    await this.responder.notify(
      {
        tenantId: record.tenantId,
        facilityId: record.facilityId,
        contactId: record.contactId,
        endpoint: record.endpoint,
        recipient: { channel: record.recipientChannel, channelUserId },
      },
      message.content,
      { commandId: record.commandId, notAfter: record.notAfter, templateFallback: message.templateFallback },
    );
  }
}

/** Sends nothing (the benchmark's timers-only figure). */
export class NoopSender implements ReminderSender {
  send(): Promise<void> {
    return Promise.resolve();
  }
}
