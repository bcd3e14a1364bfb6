import { NonRetryableError } from '@careloop/bus';
import { AppointmentChanged, ConsentChanged, ObservationRecorded, ReminderChanged, SurveyChanged, TriageOutcome } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { Connection, ConnectorRegistry } from '../adapters/connector-registry';
import type { ParkedWrite, ParkedWrites } from '../adapters/parked-writes';
import type { SyncJournal } from '../adapters/sync-journal';
import type { OutboundSyncs } from './replay';

const BATCH = 500;

/**
 * What happens to writes parked while a connector's circuit was open: oldest first, each
 * connector on its own, they are applied once the server answers (the circuit's trial call is
 * the first of them); the first transient failure stops that connector until the next round.
 * A write the server refuses for good is set aside with its reason.
 */
export class DrainParkedWrites {
  constructor(
    private readonly parked: ParkedWrites,
    private readonly journal: SyncJournal,
    private readonly registry: ConnectorRegistry,
    private readonly sync: OutboundSyncs,
    private readonly logger: Logger,
  ) {}

  async tick(): Promise<number> {
    await this.parked.refresh();
    const byConnector = new Map<string, ParkedWrite[]>();
    for (const w of await this.parked.oldest(BATCH)) {
      const k = `${w.tenantId}/${w.connectorId}`;
      const list = byConnector.get(k);
      if (list) list.push(w);
      else byConnector.set(k, [w]);
    }
    const applied = await Promise.all([...byConnector.values()].map((writes) => this.drain(writes)));
    return applied.reduce((a, b) => a + b, 0);
  }

  private async drain(writes: readonly ParkedWrite[]): Promise<number> {
    const first = writes[0];
    if (!first) return 0;
    const connection = await this.registry.connection(first.tenantId, first.connectorId);
    if (!connection?.connector.enabled) return 0;
    let applied = 0;
    for (const w of writes) {
      const entry = await this.journal.get(w.tenantId, w.eventId);
      try {
        // The write's own topic: one appointment event parks an Appointment and an AppointmentResponse.
        if (entry) await this.apply(connection, w, entry.payload);
        await this.parked.done(w.id);
        applied += 1;
      } catch (error) {
        if (!(error instanceof NonRetryableError)) break; // still down: the rest waits, in order
        await this.parked.reject(w.id, error.message);
        this.logger.error({ tenantId: w.tenantId, connectorId: w.connectorId, eventId: w.eventId, errorType: error.name }, 'parked write rejected by the server');
      }
    }
    if (applied) this.logger.info({ tenantId: first.tenantId, connectorId: first.connectorId, applied }, 'parked writes applied');
    return applied;
  }

  private async apply(connection: Connection, w: ParkedWrite, payload: Uint8Array): Promise<void> {
    switch (w.topic) {
      case 'appointment': await this.sync.appointments.applyTo(connection, AppointmentChanged.decode(payload)); return;
      case 'appointment-response': await this.sync.appointmentResponses.applyTo(connection, AppointmentChanged.decode(payload)); return;
      case 'observation': await this.sync.observations.applyTo(connection, ObservationRecorded.decode(payload)); return;
      case 'consent': await this.sync.consents.applyTo(connection, w.tenantId, ConsentChanged.decode(payload)); return;
      case 'communication': await this.sync.communications.applyTo(connection, ReminderChanged.decode(payload)); return;
      case 'triage': await this.sync.triageAnswers.applyTo(connection, w.tenantId, TriageOutcome.decode(payload)); return;
      case 'survey': await this.sync.surveyAnswers.applyTo(connection, SurveyChanged.decode(payload)); return;
    }
  }
}
