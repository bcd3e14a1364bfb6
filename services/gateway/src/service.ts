import { Channel, Topics, type EventDefinition } from '@careloop/contracts';
import { on, type EventBus } from '@careloop/bus';
import { defineService } from '@careloop/service-kit';
import { gatewaySettings } from './config';
import type { ChannelAdapter } from './channels/channel-adapter';
import { WhatsappAdapter } from './channels/whatsapp/adapter';
import { MessengerAdapter } from './channels/messenger/adapter';
import { EndpointRegistry } from './domain/endpoint-registry';
import { InboundDedupe } from './adapters/inbound-dedupe';
import { ConversationWindow } from './adapters/conversation-window';
import { Pacer } from './adapters/pacer';
import { SendClock } from './adapters/send-clock';
import { MessageLog } from './adapters/message-log';
import { GatewayMetrics } from './adapters/gateway-metrics';
import { webhookRouter } from './adapters/http/webhook-routes';
import { ReceiveWebhook } from './use-cases/receive-webhook';
import { deriveSendLimits, SendOutboundCommand } from './use-cases/send-outbound-command';
import { RecordDeliveryStatus } from './use-cases/record-delivery-status';

export const GATEWAY_TOPICS = [Topics.inboundMessage, Topics.messageStatus, Topics.accountAlert, Topics.outboundCommand, Topics.outboundResult] as readonly EventDefinition<unknown>[];

/** The gateway's composition root. */
export const gatewayService = defineService({
  name: 'gateway',
  needs: { kafka: true, mongo: true, redis: true, phi: true, http: true },
  ports: { ops: 9080, http: 8080 },
  settings: gatewaySettings,
  topics: GATEWAY_TOPICS,
  start: async (ctx) => {
    const { config, logger, metrics: metricsRegistry } = ctx;
    const bus: EventBus | undefined = ctx.bus;
    if (!bus || !ctx.mongo || !ctx.redis || !ctx.cipher || !ctx.http || !ctx.processedEvents) throw new Error('gateway needs Kafka, MongoDB, Redis, PHI keys and HTTP');

    // Sends leave from their own thread, each at its slot (see adapters/send-clock.ts).
    const clock = new SendClock((error) => logger.error({ err: error }, 'send clock thread failed: its sends in flight are reported as outcome unknown'), {
      nice: config.SEND_CLOCK_NICE,
      onStarted: ({ nice }) => {
        if (nice?.refused) logger.warn({ wanted: nice.wanted, refused: nice.refused }, 'send clock thread keeps the default CPU priority (SEND_CLOCK_NICE needs CAP_SYS_NICE): more sends may miss their slot on busy cores');
      },
    });
    await clock.start();
    ctx.onShutdown(() => clock.close());
    const adapters: ChannelAdapter[] = [
      new WhatsappAdapter({
        appSecrets: config.WHATSAPP_APP_SECRETS,
        verifyToken: config.WHATSAPP_VERIFY_TOKEN,
        accessToken: config.WHATSAPP_ACCESS_TOKEN,
        graphBaseUrl: config.WHATSAPP_GRAPH_BASE_URL,
        apiVersion: config.WHATSAPP_API_VERSION,
        sendTimeoutMs: config.SEND_TIMEOUT_MS,
        transport: clock,
      }),
    ];
    if (config.MESSENGER_APP_SECRETS && config.MESSENGER_VERIFY_TOKEN && config.MESSENGER_PAGE_ACCESS_TOKEN) {
      adapters.push(
        new MessengerAdapter({
          appSecrets: config.MESSENGER_APP_SECRETS,
          verifyToken: config.MESSENGER_VERIFY_TOKEN,
          pageAccessToken: config.MESSENGER_PAGE_ACCESS_TOKEN,
          graphBaseUrl: config.MESSENGER_GRAPH_BASE_URL,
          apiVersion: config.MESSENGER_API_VERSION,
          sendTimeoutMs: config.SEND_TIMEOUT_MS,
          transport: clock,
        }),
      );
    }

    const metrics = new GatewayMetrics(metricsRegistry);
    const dedupe = new InboundDedupe(ctx.redis, ctx.mongo);
    const log = new MessageLog(ctx.mongo, ctx.cipher);
    await Promise.all([dedupe.init(), log.init()]);
    const window = new ConversationWindow(ctx.redis);

    const registry = new EndpointRegistry(config.GATEWAY_ENDPOINTS);
    const receive = new ReceiveWebhook({ bus, registry, dedupe, window, metrics, logger });
    // Meta never revalidates a webhook answer: an ETag would be a SHA-1 per request for nothing.
    ctx.http.set('etag', false);
    ctx.http.use(webhookRouter(adapters, receive, metrics, logger, config.WEBHOOK_MAX_BYTES));

    const send = new SendOutboundCommand({
      adapters: new Map<Channel, ChannelAdapter>(adapters.map((a) => [a.channel, a])),
      registry,
      log,
      window,
      pacer: new Pacer(ctx.redis),
      bus,
      metrics,
      logger,
      limits: deriveSendLimits({
        throughputPerSecond: config.WHATSAPP_THROUGHPUT_PER_SECOND,
        headroom: config.WHATSAPP_THROUGHPUT_HEADROOM,
        pairPerMinute: config.WHATSAPP_PAIR_PER_MINUTE,
        pairBurst: config.WHATSAPP_PAIR_BURST,
        pairBurstWindowMs: config.WHATSAPP_PAIR_BURST_WINDOW_MS,
      }),
      retry: { maxAttempts: config.SEND_MAX_ATTEMPTS, initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 },
      throttledGiveUpMs: config.SEND_THROTTLED_GIVE_UP_MS,
    });
    // No processed-events record here: the message log's claim, keyed by command id, already
    // makes a redelivered command a no-op, and it saves two store round trips per send.
    const outbound = bus.consumer({
      group: 'gateway.outbound',
      partitionsConcurrently: config.OUTBOUND_CONCURRENCY,
      keysConcurrently: config.OUTBOUND_KEY_CONCURRENCY,
      handlers: [on(Topics.outboundCommand, (event) => send.execute(event))],
    });
    const statuses = new RecordDeliveryStatus(log, bus);
    // No processed-events record here either: a status is an insert-once document (a redelivered
    // one is refused as existing) and the outcome it may settle is insert-once too.
    const statusLog = bus.consumer({
      group: 'gateway.message-log',
      handlers: [on(Topics.messageStatus, (event) => statuses.execute(event))],
    });
    await Promise.all([outbound.start(), statusLog.start()]);

    // FerretDB has no TTL indexes: expired dedupe receipts and processed-event marks are swept hourly.
    const sweep = setInterval(() => {
      void Promise.allSettled([dedupe.sweepExpired(), ctx.processedEvents?.sweepExpired()]);
    }, 3_600_000);
    sweep.unref();
    ctx.onShutdown(() => {
      clearInterval(sweep);
      // Receipts are written behind the webhook's answer: let the last ones land.
      return dedupe.receiptsWritten();
    });
  },
});
