import { join } from 'node:path';
import { Topics, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { Counter, Histogram } from '@careloop/observability';
import { defineService } from '@careloop/service-kit';
import { SkillResponder } from '@careloop/skill-kit';
import { analyticsSettings, type AnalyticsSettings } from './config';
import { Catalog } from './i18n/catalog';
import { FactTables } from './adapters/fact-tables';
import { SurveyContacts, SurveyStore } from './adapters/survey-store';
import { SurveyEvents } from './adapters/survey-events';
import { AuditLog } from './adapters/audit-log';
import { reportRouter } from './adapters/http/report-routes';
import { reportService } from './adapters/grpc/report-service';
import { reminderHandlers } from './adapters/reminder-events';
import { FacilityTimeZones } from './adapters/facility-time-zones';
import { RecordAppointmentChange } from './use-cases/record-appointment-change';
import { RecordReminderChange } from './use-cases/record-reminder-change';
import { RecordSurveyChange } from './use-cases/record-survey-change';
import { RecordConversationClosed } from './use-cases/record-conversation-closed';
import { RecordMessageTraffic } from './use-cases/record-message-traffic';
import { ScheduleSurvey } from './use-cases/schedule-survey';
import { RecordConsent } from './use-cases/record-consent';
import { SendDueSurveys } from './use-cases/send-due-surveys';
import { AnswerSurveyTurn } from './use-cases/answer-survey-turn';
import { SurveyMessages } from './use-cases/survey-messages';
import { BuildReport } from './use-cases/build-report';
import type { SurveyPolicy } from './domain/survey';

export const ANALYTICS_TOPICS = [
  Topics.appointmentChanged,
  Topics.surveyChanged,
  Topics.surveyTurn,
  Topics.skillOutcome,
  Topics.outboundCommand,
  Topics.outboundResult,
  Topics.messageStatus,
  Topics.inboundMessage,
  Topics.consentChanged,
  Topics.conversationClosed,
  ...reminderHandlers.topics,
] as readonly EventDefinition<unknown>[];

export function surveyPolicyOf(config: AnalyticsSettings): SurveyPolicy {
  return {
    delayMs: (config.SURVEY_DELAY_SECONDS ?? config.SURVEY_DELAY_MINUTES * 60) * 1000,
    frequencyCapMs: config.SURVEY_FREQUENCY_CAP_DAYS * 86_400_000,
    validityMs: config.SURVEY_VALIDITY_HOURS * 3_600_000,
    quietHours: { start: config.SURVEY_QUIET_HOURS_START, end: config.SURVEY_QUIET_HOURS_END },
    templateName: config.SURVEY_TEMPLATE_NAME,
  };
}

/** analytics' composition root: rollups from events, the survey skill, reports, exports and the dashboard. */
export const analyticsService = defineService({
  name: 'analytics',
  needs: { kafka: true, mongo: true, phi: true, http: true, grpc: true },
  ports: { ops: 9086, http: 8086, grpc: 50056 },
  settings: analyticsSettings,
  topics: ANALYTICS_TOPICS,
  start: async (ctx) => {
    const { config, logger, bus, mongo, cipher, http, grpc, processedEvents } = ctx;
    if (!bus || !mongo || !cipher || !http || !grpc || !processedEvents) throw new Error('analytics needs Kafka, MongoDB, PHI keys, HTTP and gRPC');

    const facts = new FactTables(mongo);
    const surveys = new SurveyStore(mongo, cipher);
    const contacts = new SurveyContacts(mongo);
    const audit = new AuditLog(mongo);
    await Promise.all([facts.init(), surveys.init(), contacts.init(), audit.init()]);

    const rollupEvents = new Counter({ name: 'careloop_analytics_rollup_events_total', help: 'Events applied to rollups, by fact table and result (applied, stale).', labelNames: ['table', 'result'], registers: [ctx.metrics] });
    const surveyOutcomes = new Counter({ name: 'careloop_analytics_surveys_total', help: 'Survey outcomes: sent, skipped by reason, postponed (quiet hours).', labelNames: ['outcome'], registers: [ctx.metrics] });
    const reportSeconds = new Histogram({ name: 'careloop_analytics_report_duration_seconds', help: 'Time to build a report.', labelNames: ['report'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [ctx.metrics] });

    // Rollups: idempotent and order-independent by construction (version guards and maxima).
    const recordAppointment = new RecordAppointmentChange(facts.appointments, config.ANALYTICS_CANCELLATION_NOTICE_HOURS * 3600);
    const recordReminder = new RecordReminderChange(facts.reminders, facts.appointments);
    const recordSurvey = new RecordSurveyChange(facts.surveys);
    const recordConversation = new RecordConversationClosed(facts.conversations);
    const recordTraffic = new RecordMessageTraffic(facts.messages);
    const timeZones = new FacilityTimeZones();
    const rollups = bus.consumer({
      group: 'analytics.rollups',
      processed: processedEvents,
      partitionsConcurrently: config.ROLLUP_CONCURRENCY,
      keysConcurrently: config.ROLLUP_KEY_CONCURRENCY,
      handlers: [
        on(Topics.appointmentChanged, async (event) => {
          if (event.payload.appointment) timeZones.learn(event.payload.appointment.facilityId, event.payload.appointment.facilityTimeZone);
          rollupEvents.inc({ table: 'appointments', result: await recordAppointment.execute(event) });
        }),
        on(Topics.surveyChanged, async (event) => rollupEvents.inc({ table: 'surveys', result: await recordSurvey.execute(event) })),
        on(Topics.conversationClosed, async (event) => {
          await recordConversation.execute(event);
          rollupEvents.inc({ table: 'conversations', result: 'applied' });
        }),
        on(Topics.inboundMessage, (event) => recordTraffic.inbound(event)),
        on(Topics.outboundResult, (event) => recordTraffic.result(event)),
        on(Topics.messageStatus, (event) => recordTraffic.status(event)),
        ...reminderHandlers.handlers(async (observation) => {
          await recordReminder.execute(observation);
          rollupEvents.inc({ table: 'reminders', result: 'applied' });
        }),
      ],
    });

    const build = new BuildReport(facts);
    const reports = {
      execute: async (tenantId: string, query: Parameters<BuildReport['execute']>[1]) => {
        const end = reportSeconds.startTimer({ report: query.report });
        try {
          return await build.execute(tenantId, query);
        } finally {
          end();
        }
      },
    } as BuildReport;
    http.use(reportRouter({ jwtSecret: config.AGENT_JWT_SECRET, reports, surveys, audit, logger, dashboardDir: join(__dirname, 'dashboard') }));
    grpc.add(reportService({ jwtSecret: config.AGENT_JWT_SECRET, reports, logger }));

    const consumers = [rollups];
    if (config.SURVEY_ENABLED) {
      const policy = surveyPolicyOf(config);
      const responder = new SkillResponder(bus, 'survey');
      const messages = new SurveyMessages(Catalog.load());
      const events = new SurveyEvents(bus, surveys);
      const schedule = new ScheduleSurvey(surveys, policy);
      const consent = new RecordConsent(contacts);
      const answer = new AnswerSurveyTurn({ store: surveys, contacts, events, responder, messages });
      consumers.push(
        bus.consumer({
          group: 'analytics.surveys',
          processed: processedEvents,
          partitionsConcurrently: config.ROLLUP_CONCURRENCY,
          handlers: [
            on(Topics.appointmentChanged, async (event) => {
              if (event.payload.appointment) timeZones.learn(event.payload.appointment.facilityId, event.payload.appointment.facilityTimeZone);
              await schedule.afterAppointment(event);
            }),
            on(Topics.conversationClosed, async (event) => {
              await schedule.afterConversation(event, timeZones.of(event.payload.facilityId || event.facilityId));
            }),
            on(Topics.consentChanged, (event) => consent.execute(event)),
          ],
        }),
        bus.consumer({
          group: 'analytics.survey-turns',
          processed: processedEvents,
          partitionsConcurrently: config.ROLLUP_CONCURRENCY,
          keysConcurrently: 4,
          handlers: [on(Topics.surveyTurn, (event) => answer.execute(event))],
        }),
      );
      const sweep = new SendDueSurveys({ store: surveys, contacts, events, responder, messages, policy, logger });
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        sweep
          .execute()
          .then((counts) => {
            if (counts.sent) surveyOutcomes.inc({ outcome: 'sent' }, counts.sent);
            if (counts.postponed) surveyOutcomes.inc({ outcome: 'postponed' }, counts.postponed);
            for (const [reason, n] of Object.entries(counts.skipped)) if (n) surveyOutcomes.inc({ outcome: `skipped-${reason}` }, n);
          })
          .catch((error: unknown) => logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'survey sweep failed'))
          .finally(() => {
            running = false;
          });
      }, config.SURVEY_SWEEP_MS);
      timer.unref();
      ctx.onShutdown(() => {
        clearInterval(timer);
        return Promise.resolve();
      });
    }
    await Promise.all(consumers.map((c) => c.start()));
  },
});
