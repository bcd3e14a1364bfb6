import { DeliveryStatus, type MessageStatus, type OutboundResult } from '@careloop/contracts';
import type { ReceivedEvent } from '@careloop/bus';
import type { ReminderStateName } from '../domain/reminder';
import { advanceReminder, type ReminderDeps } from './ports';

const STATUS: Partial<Record<DeliveryStatus, ReminderStateName>> = {
  [DeliveryStatus.DELIVERY_STATUS_SENT]: 'sent',
  [DeliveryStatus.DELIVERY_STATUS_DELIVERED]: 'delivered',
  [DeliveryStatus.DELIVERY_STATUS_READ]: 'read',
  [DeliveryStatus.DELIVERY_STATUS_FAILED]: 'failed',
};

/**
 * What happens when gateway reports on a reminder it was asked to send: accepted → sent (with
 * the wamid), then delivered and read from the channel's statuses, or failed with gateway's
 * reason. States only move forward; statuses for other messages are ignored.
 */
export class RecordDelivery {
  constructor(private readonly deps: ReminderDeps) {}

  async onResult(event: ReceivedEvent<OutboundResult>): Promise<void> {
    const r = event.payload;
    if (r.requestedBy !== 'reminders' || !r.commandId) return;
    const record = await this.deps.reminders.byCommandId(event.tenantId, r.commandId);
    if (!record) return;
    if (r.accepted) await advanceReminder(this.deps, record, 'sent', { messageId: r.messageId, sentAsTemplate: r.sentAsTemplate }, event.id);
    else await advanceReminder(this.deps, record, 'failed', { reason: r.failureReason || 'channel_error' }, event.id);
  }

  async onStatus(event: ReceivedEvent<MessageStatus>): Promise<void> {
    const s = event.payload;
    const to = STATUS[s.status];
    if (!to) return;
    const record = s.commandId ? await this.deps.reminders.byCommandId(event.tenantId, s.commandId) : s.messageId ? await this.deps.reminders.byMessageId(event.tenantId, s.messageId) : null;
    if (!record) return;
    const reason = to === 'failed' ? (s.errors[0]?.code ? `channel-${s.errors[0].code}` : 'channel_error') : record.reason;
    await advanceReminder(this.deps, record, to, { reason, ...(s.messageId && !record.messageId ? { messageId: s.messageId } : {}) }, event.id);
  }
}
