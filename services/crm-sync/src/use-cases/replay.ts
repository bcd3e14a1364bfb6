import { AppointmentChanged, ConsentChanged, ObservationRecorded, ReminderChanged, SurveyChanged, TriageOutcome, type crmApi } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { SyncJournal } from '../adapters/sync-journal';
import { InvalidConnectorError } from '../domain/errors';
import type { SyncAppointment } from './sync-appointment';
import type { SyncAppointmentResponse } from './sync-appointment-response';
import type { SyncCommunication } from './sync-communication';
import type { SyncConsent } from './sync-consent';
import type { SyncObservation } from './sync-observation';
import type { SyncSurveyAnswers } from './sync-survey-answers';
import type { SyncTriageAnswers } from './sync-triage-answers';

/** Every outbound flow's use case: what replays and the parked-writes drainer apply. */
export interface OutboundSyncs {
  readonly appointments: SyncAppointment;
  readonly appointmentResponses: SyncAppointmentResponse;
  readonly observations: SyncObservation;
  readonly consents: SyncConsent;
  readonly communications: SyncCommunication;
  readonly triageAnswers: SyncTriageAnswers;
  readonly surveyAnswers: SyncSurveyAnswers;
}

const MAX_RANGE_MS = 31 * 24 * 3600_000;

/**
 * Applies again, oldest first, every event crm-sync received for a tenant in a time range (to
 * one connector or all): after an EHR restored an old backup, or to give a second connector of the tenant what the first got.
 * The writes are the same idempotent ones, so a replay never duplicates and never moves a
 * resource back to an older version.
 */
export class Replay {
  constructor(
    private readonly journal: SyncJournal,
    private readonly sync: OutboundSyncs,
    private readonly logger: Logger,
  ) {}

  async execute(req: crmApi.ReplayRequest): Promise<crmApi.ReplayResponse> {
    if (!req.tenantId) throw new InvalidConnectorError('tenant_id is required');
    if (!req.from || !req.to || req.to < req.from) throw new InvalidConnectorError('from and to are required, from before to');
    if (req.to.getTime() - req.from.getTime() > MAX_RANGE_MS) throw new InvalidConnectorError('a replay covers 31 days at most');
    const entries = await this.journal.between(req.tenantId, req.from, req.to);
    const only = req.connectorId ? { only: req.connectorId } : {};
    let applied = 0;
    let failed = 0;
    for (const entry of entries) {
      try {
        switch (entry.topic) {
          case 'appointment':
          case 'appointment-response': {
            // One event, two resources: the Appointment first, then the patient's answer to it.
            const change = AppointmentChanged.decode(entry.payload);
            await this.sync.appointments.applyToAll(change, only);
            await this.sync.appointmentResponses.applyToAll(change, only);
            break;
          }
          case 'observation': await this.sync.observations.applyToAll(ObservationRecorded.decode(entry.payload), only); break;
          case 'consent': await this.sync.consents.applyToAll(req.tenantId, ConsentChanged.decode(entry.payload), only); break;
          case 'communication': await this.sync.communications.applyToAll(ReminderChanged.decode(entry.payload), only); break;
          case 'triage': await this.sync.triageAnswers.applyToAll(req.tenantId, TriageOutcome.decode(entry.payload), only); break;
          case 'survey': await this.sync.surveyAnswers.applyToAll(SurveyChanged.decode(entry.payload), only); break;
        }
        applied += 1;
      } catch (error) {
        failed += 1;
        this.logger.warn({ tenantId: req.tenantId, eventId: entry.eventId, err: { name: error instanceof Error ? error.name : 'Error' } }, 'replayed event failed');
      }
    }
    return { events: entries.length, applied, failed };
  }
}
