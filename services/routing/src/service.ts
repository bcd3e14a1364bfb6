import { Topics, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { Counter } from '@careloop/observability';
import { defineService } from '@careloop/service-kit';
import { routingSettings } from './config';
import { Catalog } from './i18n/catalog';
import { ContactDirectory } from './adapters/contact-directory';
import { ConversationStore } from './adapters/conversation-store';
import { AuditLog, ConsentLedger } from './adapters/ledgers';
import { FaqStore } from './adapters/faq-store';
import { InboxEvents } from './adapters/inbox-events';
import { Replier } from './adapters/replier';
import { AgentPresence } from './adapters/agent-presence';
import { AssignWaitingConversations } from './use-cases/assign-waiting-conversations';
import { inboxRouter } from './adapters/http/inbox-routes';
import { SKILL_TOPICS } from './domain/skills';
import { BotMessages } from './use-cases/bot-messages';
import { HandleInboundMessage } from './use-cases/handle-inbound-message';
import { ApplySkillOutcome } from './use-cases/apply-skill-outcome';
import { BackToMenu } from './use-cases/back-to-menu';
import { EscalateMissedSlas } from './use-cases/escalate-missed-slas';
import { OptOutOnChannelSignal } from './use-cases/opt-out-on-channel-signal';
import { CrmSyncPatientLookup } from './adapters/patient-lookup';
import { VerificationState } from './adapters/verification-state';
import { VerifyIdentity } from './use-cases/verify-identity';

export const ROUTING_TOPICS = [
  Topics.inboundMessage,
  Topics.messageStatus,
  Topics.outboundCommand,
  Topics.skillOutcome,
  Topics.consentChanged,
  Topics.conversationClosed,
  Topics.handoverChanged,
  ...Object.values(SKILL_TOPICS),
] as readonly EventDefinition<unknown>[];

/** routing's composition root. */
export const routingService = defineService({
  name: 'routing',
  needs: { kafka: true, mongo: true, redis: true, phi: true, http: true },
  ports: { ops: 9081, http: 8081 },
  settings: routingSettings,
  topics: ROUTING_TOPICS,
  start: async (ctx) => {
    const { config, logger } = ctx;
    const { bus, mongo, redis, cipher, http, processedEvents } = ctx;
    if (!bus || !mongo || !redis || !cipher || !http || !processedEvents) throw new Error('routing needs Kafka, MongoDB, Redis, PHI keys and HTTP');

    const catalog = Catalog.load();
    const contacts = new ContactDirectory(mongo, cipher);
    const conversations = new ConversationStore(mongo, cipher);
    const consentLedger = new ConsentLedger(mongo);
    const audit = new AuditLog(mongo);
    const faq = new FaqStore(mongo, config.ROUTING_FAQ_CACHE_MS);
    await Promise.all([contacts.init(), conversations.init(), consentLedger.init(), audit.init(), faq.init()]);
    const inbox = new InboxEvents(redis);
    await inbox.start();
    ctx.onShutdown(() => inbox.stop());
    const replier = new Replier(bus, conversations);
    const presence = new AgentPresence(redis);
    const assigner = new AssignWaitingConversations(conversations, presence, bus, inbox, config.ROUTING_ASSIGNMENT);
    const messages = new BotMessages(catalog);
    const hospitalName = (tenantId: string): string => config.ROUTING_HOSPITAL_NAMES[tenantId] ?? tenantId;
    const lookup = new CrmSyncPatientLookup(config.CRM_SYNC_GRPC_ADDRESS);
    ctx.onShutdown(() => {
      lookup.close();
      return Promise.resolve();
    });
    const verificationPolicy = {
      validMs: config.ROUTING_VERIFICATION_VALID_MS,
      maxFailures: config.ROUTING_VERIFICATION_MAX_FAILURES,
      lockMs: config.ROUTING_VERIFICATION_LOCK_MS,
      attemptsPerHour: config.ROUTING_VERIFICATION_ATTEMPTS_PER_HOUR,
      mrnLookup: config.ROUTING_VERIFICATION_BY_MRN,
      oneTimeCode: (tenantId: string) => config.ROUTING_VERIFICATION_OTP_TENANTS.has(tenantId),
      oneTimeCodeTemplate: config.ROUTING_VERIFICATION_OTP_TEMPLATE,
      oneTimeCodeTtlMs: config.ROUTING_VERIFICATION_OTP_TTL_MS,
    };
    const verification = new VerifyIdentity({ bus, contacts, conversations, replier, messages, audit, lookup, state: new VerificationState(redis, verificationPolicy), policy: verificationPolicy, logger });
    const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

    const handleInbound = new HandleInboundMessage({
      bus,
      contacts,
      conversations,
      consentLedger,
      faq,
      replier,
      messages,
      inbox,
      assigner,
      policy: {
        availableSkills: new Set(config.ROUTING_AVAILABLE_SKILLS),
        hospitalName,
        extraKeywords: { optOut: split(config.ROUTING_OPT_OUT_KEYWORDS), optIn: split(config.ROUTING_OPT_IN_KEYWORDS) },
      },
      logger,
      verification,
    });
    const backToMenu = new BackToMenu({ contacts, replier, messages, hospitalName });
    const applyOutcome = new ApplySkillOutcome({ conversations, bus, inbox, assigner, backToMenu, verification });
    http.use(inboxRouter({ jwtSecret: config.AGENT_JWT_SECRET, bus, contacts, conversations, audit, faq, inbox, replier, presence, assigner, logger }));

    const turns = bus.consumer({
      group: 'routing.turns',
      processed: processedEvents,
      partitionsConcurrently: config.TURN_CONCURRENCY,
      keysConcurrently: config.TURN_KEY_CONCURRENCY,
      handlers: [on(Topics.inboundMessage, (event) => handleInbound.execute(event))],
    });
    const outcomes = bus.consumer({
      group: 'routing.skill-outcomes',
      processed: processedEvents,
      handlers: [on(Topics.skillOutcome, (event) => applyOutcome.execute(event))],
    });
    const channelOptOut = new OptOutOnChannelSignal(contacts, consentLedger, bus);
    const statuses = bus.consumer({
      group: 'routing.statuses',
      processed: processedEvents,
      handlers: [on(Topics.messageStatus, (event) => channelOptOut.execute(event))],
    });
    await Promise.all([turns.start(), outcomes.start(), statuses.start()]);

    const missed = new Counter({ name: 'careloop_routing_first_response_sla_missed_total', help: 'Queued conversations that waited past their first-response target.', labelNames: ['priority'], registers: [ctx.metrics] });
    const slas = new EscalateMissedSlas(conversations, bus, inbox, missed);
    const timer = setInterval(() => {
      // Waiting conversations find agents who came online; those still waiting past their target escalate.
      assigner
        .sweep()
        .then(() => slas.execute())
        .catch((error: unknown) => logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'queue check failed'));
    }, config.ROUTING_SLA_CHECK_MS);
    timer.unref();
    ctx.onShutdown(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  },
});
