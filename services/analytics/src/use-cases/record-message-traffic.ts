import type { ReceivedEvent } from '@careloop/bus';
import { Channel, DeliveryStatus, type InboundMessage, type MessageStatus, type OutboundResult } from '@careloop/contracts';
import { localBuckets } from '../domain/local-time';
import type { FactTable } from '../adapters/fact-tables';

function period(at: Date | undefined) {
  const { day, week, month } = localBuckets(at ?? new Date(0), 'UTC');
  return { day, week, month };
}

const channelName = (c: Channel | undefined) => (c === Channel.CHANNEL_MESSENGER ? 'messenger' : c === Channel.CHANNEL_WHATSAPP ? 'whatsapp' : 'other');

/**
 * Message counts from gateway's events, one fact per message: inbound by message id, outbound by
 * command id (results and statuses meet there, in either order). Counters are maxima, so
 * redelivered events count once. No bodies, no phone numbers: only channel, codes and flags.
 */
export class RecordMessageTraffic {
  constructor(private readonly facts: FactTable) {}

  async inbound(event: Pick<ReceivedEvent<InboundMessage>, 'tenantId' | 'facilityId' | 'payload' | 'occurredAt'>): Promise<void> {
    const m = event.payload;
    const id = m.messageId || '';
    if (!id) return;
    await this.facts.raise(event.tenantId, `in/${id}`, { inbound: 1 }, { ...period(m.receivedAt ?? event.occurredAt), facilityId: event.facilityId, channel: channelName(m.to?.channel), errorCode: '', requestedBy: '' });
  }

  async result(event: Pick<ReceivedEvent<OutboundResult>, 'tenantId' | 'facilityId' | 'payload' | 'occurredAt'>): Promise<void> {
    const r = event.payload;
    if (!r.commandId) return;
    const errorCode = r.accepted ? '' : String(r.errors[0]?.code ?? '') || r.failureReason || 'unknown';
    await this.facts.raise(
      event.tenantId,
      `out/${r.commandId}`,
      { outbound: 1, accepted: r.accepted ? 1 : 0, template: r.accepted && r.sentAsTemplate ? 1 : 0, session: r.accepted && !r.sentAsTemplate ? 1 : 0, failed: r.accepted ? 0 : 1 },
      { ...period(r.occurredAt ?? event.occurredAt), facilityId: event.facilityId, requestedBy: r.requestedBy, ...(r.accepted ? {} : { errorCode }), ...(r.messageId ? { messageId: r.messageId } : {}) },
      { channel: 'whatsapp', ...(r.accepted ? { errorCode: '' } : {}) },
    );
  }

  async status(event: Pick<ReceivedEvent<MessageStatus>, 'tenantId' | 'payload'>): Promise<void> {
    const s = event.payload;
    // Statuses gateway could not tie to a command of ours are not counted (documented).
    if (!s.commandId) return;
    const read = s.status === DeliveryStatus.DELIVERY_STATUS_READ || s.status === DeliveryStatus.DELIVERY_STATUS_PLAYED;
    const delivered = read || s.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED;
    const failed = s.status === DeliveryStatus.DELIVERY_STATUS_FAILED;
    const errorCode = failed ? String(s.errors[0]?.code ?? 'unknown') : undefined;
    await this.facts.raise(
      event.tenantId,
      `out/${s.commandId}`,
      { delivered: delivered ? 1 : 0, read: read ? 1 : 0, failed: failed ? 1 : 0 },
      { channel: channelName(s.from?.channel), ...(errorCode ? { errorCode } : {}) },
      errorCode ? {} : { errorCode: '' },
    );
  }
}
