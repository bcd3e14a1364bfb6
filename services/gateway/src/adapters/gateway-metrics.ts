import { Counter, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@careloop/observability';

/** Gateway metrics. Labels: channel, reason, outcome, error code — bounded, never PHI. */
export class GatewayMetrics {
  private readonly webhooks: Counter<'channel' | 'outcome'>;
  private readonly webhookSeconds: Histogram<'channel'>;
  private readonly inbound: Counter<'channel' | 'kind'>;
  private readonly unknownEndpoints: Counter<'channel'>;
  private readonly accountErrors: Counter<'channel' | 'code'>;
  private readonly sends: Counter<'channel' | 'outcome' | 'code'>;
  private readonly sendSeconds: Histogram<'channel'>;
  private readonly pacingWait: Histogram<'limit'>;
  private readonly slotsMissed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.webhooks = new Counter({ name: 'careloop_gateway_webhooks_total', help: 'Webhook deliveries by outcome (accepted, signature, json, shape, busy, unavailable).', labelNames: ['channel', 'outcome'], registers });
    this.webhookSeconds = new Histogram({ name: 'careloop_gateway_webhook_duration_seconds', help: 'Time to answer a webhook.', labelNames: ['channel'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    this.inbound = new Counter({ name: 'careloop_gateway_inbound_items_total', help: 'Items received in accepted webhooks (message, status, duplicate, ignored).', labelNames: ['channel', 'kind'], registers });
    this.unknownEndpoints = new Counter({ name: 'careloop_gateway_unknown_endpoint_total', help: 'Webhook deliveries naming a business number or page not configured.', labelNames: ['channel'], registers });
    this.accountErrors = new Counter({ name: 'careloop_gateway_account_errors_total', help: 'Account-level errors reported by the channel.', labelNames: ['channel', 'code'], registers });
    this.sends = new Counter({ name: 'careloop_gateway_sends_total', help: 'Send attempts by outcome and channel error code.', labelNames: ['channel', 'outcome', 'code'], registers });
    this.sendSeconds = new Histogram({ name: 'careloop_gateway_send_duration_seconds', help: 'Channel API call duration.', labelNames: ['channel'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    this.pacingWait = new Histogram({ name: 'careloop_gateway_pacing_wait_seconds', help: 'Time a send waited for its rate limit.', labelNames: ['limit'], buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60], registers });
    this.slotsMissed = new Counter({ name: 'careloop_gateway_pacing_slots_missed_total', help: 'Throughput slots a send missed and gave up for a later one, by where it was late: handed to the send clock already late (handover) or held there and released late (clock).', labelNames: ['cause'], registers });
  }

  webhookAccepted(channel: string, messages: number, statuses: number, ignored: number): void {
    this.webhooks.inc({ channel, outcome: 'accepted' });
    if (messages) this.inbound.inc({ channel, kind: 'message' }, messages);
    if (statuses) this.inbound.inc({ channel, kind: 'status' }, statuses);
    if (ignored) this.inbound.inc({ channel, kind: 'ignored' }, ignored);
  }

  webhookRejected(channel: string, outcome: 'signature' | 'json' | 'shape' | 'busy' | 'unavailable' | 'too_large' | 'bad_request'): void {
    this.webhooks.inc({ channel, outcome });
  }

  webhookDuration(channel: string, seconds: number): void {
    this.webhookSeconds.observe({ channel }, seconds);
  }

  duplicateMessage(channel: string): void {
    this.inbound.inc({ channel, kind: 'duplicate' });
  }

  unknownEndpoint(channel: string, count: number): void {
    this.webhooks.inc({ channel, outcome: 'unknown_endpoint' });
    this.unknownEndpoints.inc({ channel }, count);
  }

  accountError(channel: string, code: number): void {
    this.accountErrors.inc({ channel, code: String(code) });
  }

  send(channel: string, outcome: string, code: number, seconds?: number): void {
    this.sends.inc({ channel, outcome, code: String(code) });
    if (seconds !== undefined) this.sendSeconds.observe({ channel }, seconds);
  }

  slotMissed(cause: 'handover' | 'clock'): void {
    this.slotsMissed.inc({ cause });
  }

  paced(limit: 'number' | 'pair', seconds: number): void {
    this.pacingWait.observe({ limit }, seconds);
  }
}
