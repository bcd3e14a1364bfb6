import { NonRetryableError } from '@careloop/bus';
import { AppointmentChanged, ConsentChanged, ObservationRecorded, ReminderChanged } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import type { ParkedWrite, ParkedWrites } from '../adapters/parked-writes';
import type { SyncJournal } from '../adapters/sync-journal';
import type { SyncAppointment } from './sync-appointment';
import type { SyncCommunication } from './sync-communication';
import type { SyncConsent } from './sync-consent';
import type { SyncObservation } from './sync-observation';

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
    private readonly sync: { appointments: SyncAppointment; observations: SyncObservation; consents: SyncConsent; communications: SyncCommunication },
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
        if (entry?.topic === 'appointment') await this.sync.appointments.applyTo(connection, AppointmentChanged.decode(entry.payload));
        else if (entry?.topic === 'observation') await this.sync.observations.applyTo(connection, ObservationRecorded.decode(entry.payload));
        else if (entry?.topic === 'consent') await this.sync.consents.applyTo(connection, w.tenantId, ConsentChanged.decode(entry.payload));
        else if (entry?.topic === 'communication') await this.sync.communications.applyTo(connection, ReminderChanged.decode(entry.payload));
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
}
