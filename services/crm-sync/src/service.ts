import { Topics, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { Counter, Gauge, Histogram } from '@careloop/observability';
import { defineService } from '@careloop/service-kit';
import { crmSyncSettings } from './config';
import { HostPolicy } from './domain/host-policy';
import { ConnectorRegistry } from './adapters/connector-registry';
import { ConnectorStore } from './adapters/connector-store';
import { GuardedHttp } from './adapters/fhir/guarded-http';
import { crmSyncGrpcService } from './adapters/grpc/crm-sync-api';
import { ParkedWrites } from './adapters/parked-writes';
import { PollSchedule } from './adapters/poll-schedule';
import { Poller } from './adapters/poller';
import { Ticker } from './adapters/ticker';
import { LimiterRateGate } from './adapters/rate-gate';
import { SchedulingClient } from './adapters/scheduling-client';
import { SyncJournal } from './adapters/sync-journal';
import { DrainParkedWrites } from './use-cases/drain-parked-writes';
import { ImportEhrAppointments } from './use-cases/import-ehr-appointments';
import { LookupPatients } from './use-cases/lookup-patients';
import { ManageConnectors } from './use-cases/manage-connectors';
import { PatientDirectory } from './use-cases/patient-directory';
import type { SyncDeps } from './use-cases/ports';
import { Replay } from './use-cases/replay';
import { SyncAppointment } from './use-cases/sync-appointment';
import { SyncCommunication } from './use-cases/sync-communication';
import { SyncConsent } from './use-cases/sync-consent';
import { SyncObservation } from './use-cases/sync-observation';
import { SkillResponder } from '@careloop/skill-kit';
import { EhrAudit } from './adapters/ehr-audit';
import { ResultDocuments } from './adapters/result-documents';
import { DEFAULT_RESULTS_POLICY } from './domain/results-policy';
import { Catalog } from './i18n/catalog';
import { AnswerEhrTurn } from './use-cases/answer-ehr-turn';
import { EhrSessions } from './adapters/ehr-sessions';
import { RefillRequests } from './adapters/refill-requests';
import { DEFAULT_REFILL_POLICY } from './domain/refill-policy';
import { FollowRefillStatus } from './use-cases/follow-refill-status';
import { ReadEhrAudit } from './use-cases/read-ehr-audit';
import { RequestRefill } from './use-cases/request-refill';
import { CrmChangeFeed, RedisChangeNumbers } from './adapters/crm-change-feed';
import { crmPullRouter } from './adapters/http/crm-pull-api';
import { ehrAuditRouter } from './adapters/http/ehr-audit-api';
import { TriageClient } from './adapters/triage-client';
import { PullCrmChanges } from './use-cases/pull-crm-changes';
import { RecordCrmChanges } from './use-cases/record-crm-changes';
import type { OutboundSyncs } from './use-cases/replay';
import { SyncAppointmentResponse } from './use-cases/sync-appointment-response';
import { SyncSurveyAnswers } from './use-cases/sync-survey-answers';
import { SyncTriageAnswers } from './use-cases/sync-triage-answers';

export const CRM_SYNC_TOPICS = [Topics.appointmentChanged, Topics.observationRecorded, Topics.consentChanged, Topics.reminderChanged, Topics.ehrTurn, Topics.skillOutcome, Topics.outboundCommand, Topics.triageOutcome, Topics.surveyChanged] as readonly EventDefinition<unknown>[];

/** crm-sync's composition root. */
export const crmSyncService = defineService({
  name: 'crm-sync',
  needs: { kafka: true, mongo: true, redis: true, phi: true, grpc: true, http: true },
  ports: { ops: 9085, grpc: 50055, http: 8085 },
  settings: crmSyncSettings,
  topics: CRM_SYNC_TOPICS,
  start: async (ctx) => {
    const { config, logger, metrics } = ctx;
    const { bus, mongo, redis, cipher, grpc, http: httpApp, processedEvents } = ctx;
    if (!bus || !mongo || !redis || !cipher || !grpc || !httpApp || !processedEvents) throw new Error('crm-sync needs Kafka, MongoDB, Redis, PHI keys, gRPC and HTTP');

    const requests = new Counter({ name: 'careloop_crm_fhir_requests_total', help: 'Requests to FHIR servers, by outcome.', labelNames: ['outcome'], registers: [metrics] });
    const writes = new Histogram({
      name: 'careloop_crm_resource_sync_seconds',
      help: 'Time to bring one resource up to date on one connector, by resource type and outcome.',
      labelNames: ['resource', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics],
    });
    const openCircuits = new Gauge({ name: 'careloop_crm_open_circuits', help: 'Connectors whose circuit breaker is open.', registers: [metrics] });

    const connectorStore = new ConnectorStore(mongo, cipher);
    const journal = new SyncJournal(mongo, cipher);
    const polls = new PollSchedule(mongo);
    const parked = new ParkedWrites(mongo);
    const ehrAudit = new EhrAudit(mongo);
    const refillRequests = new RefillRequests(mongo, cipher);
    await Promise.all([connectorStore.init(), journal.init(), polls.init(), parked.init(), ehrAudit.init(), refillRequests.init()]);

    const policy = new HostPolicy({ allowedHosts: config.CRM_ALLOWED_HOSTS, privateHostsAllowed: config.CRM_PRIVATE_HOSTS_ALLOWED, allowPlainHttp: config.CRM_ALLOW_PLAIN_HTTP });
    const http = new GuardedHttp(policy, config.CRM_REQUEST_TIMEOUT_MS);
    const registry = new ConnectorRegistry(
      connectorStore,
      http,
      LimiterRateGate.redis(redis, ''),
      {
        defaultRatePerSecond: config.CRM_DEFAULT_RATE_PER_SECOND,
        breaker: { failures: config.CRM_BREAKER_FAILURES, cooldownMs: config.CRM_BREAKER_COOLDOWN_MS },
        cacheMs: 2_000,
        onRequest: (outcome) => requests.inc({ outcome }),
        onBreaker: (_connector, state) => (state === 'open' ? openCircuits.inc() : state === 'closed' ? openCircuits.dec() : undefined),
      },
      logger,
    );
    const deps: SyncDeps = { connectors: registry, patients: new PatientDirectory(), journal, parking: parked, logger, observe: (resource, outcome, seconds) => writes.observe({ resource, outcome }, seconds) };
    const syncAppointment = new SyncAppointment(deps);
    const syncObservation = new SyncObservation(deps);
    const syncConsent = new SyncConsent(deps);
    const syncCommunication = new SyncCommunication(deps);
    const scheduling = new SchedulingClient(config.SCHEDULING_GRPC_ADDRESS);
    const triage = new TriageClient(config.TRIAGE_GRPC_ADDRESS);
    const outbound: OutboundSyncs = {
      appointments: syncAppointment,
      appointmentResponses: new SyncAppointmentResponse(deps),
      observations: syncObservation,
      consents: syncConsent,
      communications: syncCommunication,
      triageAnswers: new SyncTriageAnswers(deps, triage),
      surveyAnswers: new SyncSurveyAnswers(deps),
    };
    ctx.onShutdown(() => {
      scheduling.close();
      triage.close();
      http.close();
      return Promise.resolve();
    });

    const manage = new ManageConnectors(connectorStore, registry, polls, policy);
    grpc.add(crmSyncGrpcService(manage, new Replay(journal, outbound, logger), new LookupPatients(registry), logger));

    // A write that failed transiently is retried until it succeeds (backoff with jitter, the
    // partition's other keys going on): an event is acknowledged only once every connector has
    // it. Rejections (4xx) are NonRetryableError and go to the dead-letter topic at once.
    const retry = { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: config.CRM_RETRY_INITIAL_DELAY_MS, maxDelayMs: config.CRM_RETRY_MAX_DELAY_MS, multiplier: 2 };
    const consumer = bus.consumer({
      group: 'crm-sync.out',
      processed: processedEvents,
      retry,
      partitionsConcurrently: config.CRM_PARTITIONS_CONCURRENTLY,
      keysConcurrently: config.CRM_KEYS_CONCURRENTLY,
      handlers: [
        // The Appointment first, then the patient's answer to it (which points at it).
        on(Topics.appointmentChanged, async (event) => {
          await syncAppointment.execute(event);
          await outbound.appointmentResponses.execute(event);
        }),
        on(Topics.observationRecorded, (event) => syncObservation.execute(event)),
        on(Topics.consentChanged, (event) => syncConsent.execute(event)),
        on(Topics.reminderChanged, (event) => syncCommunication.execute(event)),
        on(Topics.triageOutcome, (event) => outbound.triageAnswers.execute(event)),
        on(Topics.surveyChanged, (event) => outbound.surveyAnswers.execute(event)),
      ],
    });
    await consumer.start();

    // Generic CRMs' pull API: the tenant's appointment and contact changes, numbered, behind a
    // signed GET. Recorded by a group of its own, so a stuck EHR write never delays the feed.
    const changeFeed = new CrmChangeFeed(mongo, cipher, new RedisChangeNumbers(redis), config.CRM_PULL_GAP_WAIT_MS);
    await changeFeed.init();
    const recordChanges = new RecordCrmChanges(registry, changeFeed);
    const changeRecorder = bus.consumer({
      group: 'crm-sync.crm-changes',
      processed: processedEvents,
      retry,
      handlers: [on(Topics.appointmentChanged, (event) => recordChanges.appointmentChanged(event)), on(Topics.consentChanged, (event) => recordChanges.consentChanged(event))],
    });
    await changeRecorder.start();
    httpApp.use(crmPullRouter(new PullCrmChanges({ connector: (tenantId, connectorId) => connectorStore.get(tenantId, connectorId), feed: changeFeed }), logger));

    // The ehr skill (results, refills): turns routing dispatches on ehr.turn.v1.
    const documents = new ResultDocuments(redis, cipher, config.EHR_DOCUMENT_BASE_URL, config.EHR_DOCUMENT_LINK_TTL_MS);
    httpApp.use(documents.router());
    // The privacy officer's view of ehr_audit, behind a staff token (each read audited too).
    httpApp.use(ehrAuditRouter(new ReadEhrAudit({ audit: ehrAudit }), config.AGENT_JWT_SECRET, logger));
    const responder = new SkillResponder(bus, 'ehr');
    const catalog = Catalog.load();
    const sessions = new EhrSessions(redis);
    const refills = new RequestRefill({ responder, registry, sessions, requests: refillRequests, audit: ehrAudit, catalog, refillPolicy: (tenantId) => config.EHR_REFILL_POLICY[tenantId] ?? DEFAULT_REFILL_POLICY });
    const answerEhrTurn = new AnswerEhrTurn({
      responder,
      registry,
      documents,
      audit: ehrAudit,
      catalog,
      resultsPolicy: (tenantId) => config.EHR_RESULTS_POLICY[tenantId] ?? DEFAULT_RESULTS_POLICY,
      refills,
      sessions,
      logger,
    });
    const followRefills = new FollowRefillStatus({ requests: refillRequests, audit: ehrAudit, registry, responder, catalog, logger });
    const ehrTurns = bus.consumer({
      group: 'crm-sync.ehr-turns',
      processed: processedEvents,
      keysConcurrently: config.CRM_KEYS_CONCURRENTLY,
      handlers: [on(Topics.ehrTurn, (event) => answerEhrTurn.execute(event))],
    });
    // Its own group: consent also goes to the EHR (crm-sync.out), at the EHR's pace.
    const refillConsent = bus.consumer({
      group: 'crm-sync.refill-consent',
      processed: processedEvents,
      handlers: [on(Topics.consentChanged, (event) => followRefills.onConsent(event))],
    });
    await Promise.all([ehrTurns.start(), refillConsent.start()]);
    const refillFollower = new Ticker('follow refill status', config.EHR_REFILL_POLL_MS, () => followRefills.tick(), logger);
    refillFollower.start();
    ctx.onShutdown(() => refillFollower.stop());

    const drain = new DrainParkedWrites(parked, journal, registry, outbound, logger);
    const drainer = new Ticker('drain parked writes', config.CRM_DRAIN_TICK_MS, () => drain.tick(), logger);
    drainer.start();
    ctx.onShutdown(() => drainer.stop());

    if (config.CRM_POLL_ENABLED) {
      const poller = new Poller(polls, registry, new ImportEhrAppointments(registry, polls, scheduling, logger), { tickMs: config.CRM_POLL_TICK_MS, leaseMs: 5 * 60_000, maxParallel: 16 }, logger);
      poller.start();
      ctx.onShutdown(() => poller.stop());
    }
  },
});
