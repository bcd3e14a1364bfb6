import { randomUUID } from 'node:crypto';
import sjson from 'secure-json-parse';
import { Topics, type EventDefinition } from '@careloop/contracts';

import type { Logger } from '@careloop/observability';
import type { ChannelAdapter } from '../channels/channel-adapter';
import { WebhookShapeError } from '../channels/webhook-errors';
import { verifyMetaSignature } from '../domain/signature';
import { nameBasedId as eventIdFor, type EventBus, type PublishOptions } from '@careloop/bus';
import type { EndpointRegistry } from '../domain/endpoint-registry';
import { InboundDedupe, type DedupeClaim } from '../adapters/inbound-dedupe';
import type { ConversationWindow } from '../adapters/conversation-window';
import type { GatewayMetrics } from '../adapters/gateway-metrics';

export interface WebhookRequest {
  readonly rawBody: Buffer;
  readonly signature: string | undefined;
}

/** What to answer Meta. 200 only when every event of the delivery is durable in Kafka. */
export interface WebhookAnswer {
  readonly status: 200 | 400 | 401 | 422 | 503;
  readonly body: { readonly result: string; readonly reason?: string };
}

interface Pending {
  readonly definition: EventDefinition<unknown>;
  readonly payload: unknown;
  readonly options: PublishOptions;
}

/** How long a delivery waits for a concurrent delivery of the same message to finish publishing. */
const BUSY_WAIT_MS = 3_000;

export class ReceiveWebhook {
  constructor(
    private readonly deps: {
      readonly bus: EventBus;
      readonly registry: EndpointRegistry;
      readonly dedupe: InboundDedupe;
      readonly window: ConversationWindow;
      readonly metrics: GatewayMetrics;
      readonly logger: Logger;
    },
  ) {}

  async execute(adapter: ChannelAdapter, request: WebhookRequest, receivedAt = new Date()): Promise<WebhookAnswer> {
    const { metrics } = this.deps;
    const channel = adapter.name;
    if (!verifyMetaSignature(request.rawBody, request.signature, adapter.appSecrets)) {
      metrics.webhookRejected(channel, 'signature');
      return { status: 401, body: { result: 'rejected', reason: 'missing or invalid X-Hub-Signature-256' } };
    }

    let body: unknown;
    try {
      // Refuses __proto__ and constructor.prototype keys instead of letting them pollute objects.
      body = sjson.parse(request.rawBody.toString('utf8'), null, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      metrics.webhookRejected(channel, 'json');
      return { status: 400, body: { result: 'rejected', reason: 'body is not valid JSON (or carries __proto__ / constructor keys)' } };
    }

    let delivery;
    try {
      delivery = adapter.parseWebhook(body, receivedAt);
    } catch (error) {
      if (!(error instanceof WebhookShapeError)) throw error;
      metrics.webhookRejected(channel, 'shape');
      return { status: 400, body: { result: 'rejected', reason: `not a ${channel} webhook: ${error.message}` } };
    }

    // All or nothing: a delivery naming a number we do not serve is refused whole,
    // so Meta retries all of it once the number is configured.
    const endpointIds = new Set([...delivery.messages, ...delivery.statuses, ...delivery.alerts].map((x) => x.endpointId));
    const unknown = [...endpointIds].filter((id) => !this.deps.registry.resolve(channel, id));
    if (unknown.length > 0) {
      metrics.unknownEndpoint(channel, unknown.length);
      return { status: 422, body: { result: 'rejected', reason: `unknown ${channel} endpoint id(s): ${unknown.join(', ')}; configure them in GATEWAY_ENDPOINTS` } };
    }
    const binding = (endpointId: string) => {
      const b = this.deps.registry.resolve(channel, endpointId);
      if (!b) throw new Error('unreachable: endpoint checked above');
      return b;
    };

    // Inbound messages: claimed once per (tenant, channel, message id).
    const owner = randomUUID();
    const claims = delivery.messages.map(({ endpointId, message }) => ({
      key: InboundDedupe.key(binding(endpointId).tenantId, channel, message.messageId),
      tenantId: binding(endpointId).tenantId,
      sentAt: message.sentAt ?? receivedAt,
    }));
    const claimed = await this.claimAll(claims, owner);
    if (claimed === 'busy') {
      metrics.webhookRejected(channel, 'busy');
      return { status: 503, body: { result: 'retry', reason: 'the same message is being processed by another delivery' } };
    }

    const pending: Pending[] = [];
    const ours: DedupeClaim[] = [];
    delivery.messages.forEach(({ endpointId, message }, i) => {
      const claim = claims[i];
      if (!claim || claimed.get(claim.key) !== 'claimed') {
        metrics.duplicateMessage(channel);
        return;
      }
      ours.push(claim);
      const b = binding(endpointId);
      pending.push({
        definition: Topics.inboundMessage,
        payload: message,
        options: {
          key: `${channel}:${message.from?.channelUserId ?? ''}`,
          tenantId: b.tenantId,
          facilityId: b.facilityId,
          occurredAt: message.sentAt,
          id: eventIdFor(b.tenantId, channel, 'message', message.messageId),
        },
      });
    });
    for (const { endpointId, status } of delivery.statuses) {
      const b = binding(endpointId);
      pending.push({
        definition: Topics.messageStatus,
        payload: status,
        options: {
          key: `${channel}:${status.recipientId}`,
          tenantId: b.tenantId,
          facilityId: b.facilityId,
          occurredAt: status.occurredAt,
          id: eventIdFor(b.tenantId, channel, 'status', status.messageId, String(status.status), status.occurredAt?.toISOString() ?? ''),
        },
      });
    }
    for (const { endpointId, alert } of delivery.alerts) {
      const b = binding(endpointId);
      for (const e of alert.errors) metrics.accountError(channel, e.code);
      pending.push({
        definition: Topics.accountAlert,
        payload: alert,
        options: { key: `${channel}:${endpointId}`, tenantId: b.tenantId, facilityId: b.facilityId, occurredAt: receivedAt },
      });
    }

    try {
      await Promise.all(pending.map((p) => this.deps.bus.publish(p.definition, p.payload, p.options)));
    } catch (error) {
      await this.deps.dedupe.release(ours, owner).catch(() => undefined);
      this.deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error' }, channel }, 'webhook events not durable: asking Meta to retry');
      metrics.webhookRejected(channel, 'unavailable');
      return { status: 503, body: { result: 'retry', reason: 'events could not be stored; retry later' } };
    }

    // The events are durable: from here on a failure must not turn into a non-200.
    const notRemembered = (error: unknown) => this.deps.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'dedupe receipts not written');
    this.deps.dedupe.writeReceipts(ours, receivedAt).catch(notRemembered);
    // Independent Redis writes: one round trip's wait, not one per write.
    await Promise.all([
      this.deps.dedupe.confirm(ours).catch(notRemembered),
      ...delivery.messages.map(({ endpointId, message }) =>
        this.deps.window.recordInbound(endpointId, message.from?.channelUserId ?? '', message.sentAt ?? receivedAt).catch(() => undefined),
      ),
    ]);
    metrics.webhookAccepted(channel, delivery.messages.length, delivery.statuses.length, delivery.ignoredFields.length);
    return { status: 200, body: { result: 'accepted' } };
  }

  /** Claims every message; waits out concurrent deliveries of the same message for a short while. */
  private async claimAll(claims: DedupeClaim[], owner: string): Promise<Map<string, 'claimed' | 'duplicate'> | 'busy'> {
    const settled = new Map<string, 'claimed' | 'duplicate'>();
    let open = claims;
    const deadline = Date.now() + BUSY_WAIT_MS;
    while (open.length > 0) {
      const results = await this.deps.dedupe.claim(open, owner);
      const busy: typeof claims = [];
      for (const claim of open) {
        const r = results.get(claim.key);
        if (r === 'busy') busy.push(claim);
        else if (r) settled.set(claim.key, r);
      }
      if (busy.length === 0) break;
      if (Date.now() > deadline) {
        await this.deps.dedupe.release([...settled].filter(([, r]) => r === 'claimed').map(([key]) => ({ key })), owner);
        return 'busy';
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
      open = busy;
    }
    return settled;
  }
}
