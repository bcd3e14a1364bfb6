import { DeliveryStatus, Topics, type MessageStatus } from '@careloop/contracts';
import type { EventBus, ReceivedEvent } from '@careloop/bus';
import type { MessageLog } from '../adapters/message-log';

const NAMES: Record<number, string> = {
  [DeliveryStatus.DELIVERY_STATUS_SENT]: 'sent',
  [DeliveryStatus.DELIVERY_STATUS_DELIVERED]: 'delivered',
  [DeliveryStatus.DELIVERY_STATUS_READ]: 'read',
  [DeliveryStatus.DELIVERY_STATUS_FAILED]: 'failed',
  [DeliveryStatus.DELIVERY_STATUS_DELETED]: 'deleted',
  [DeliveryStatus.DELIVERY_STATUS_PLAYED]: 'played',
};

/**
 * A status webhook (sent, delivered, read, failed) joins the message log's
 * timeline. If it names a command whose send outcome was unknown (the gateway
 * stopped mid-send), it proves the channel took it: the late acceptance is
 * published so the skill learns it.
 */
export class RecordDeliveryStatus {
  constructor(
    private readonly log: MessageLog,
    private readonly bus: EventBus,
  ) {}

  async execute(event: ReceivedEvent<MessageStatus>): Promise<void> {
    const status = event.payload;
    const reconciled = await this.log.recordStatus(event.tenantId, status.messageId, status.commandId, {
      status: NAMES[status.status] ?? 'unknown',
      at: status.occurredAt ?? event.occurredAt,
      ...(status.errors[0] ? { errorCode: status.errors[0].code } : {}),
    });
    if (!reconciled) return;
    await this.bus.publish(
      Topics.outboundResult,
      {
        commandId: reconciled.commandId,
        requestedBy: reconciled.requestedBy,
        contactId: reconciled.contactId,
        conversationId: reconciled.conversationId,
        accepted: true,
        messageId: status.messageId,
        failureReason: '',
        errors: [],
        occurredAt: new Date(),
        sentAsTemplate: reconciled.sentAsTemplate,
      },
      { key: event.key ?? status.recipientId, tenantId: event.tenantId, facilityId: event.facilityId, causationId: event.id },
    );
  }
}
