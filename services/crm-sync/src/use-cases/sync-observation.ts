import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { ObservationRecorded } from '@careloop/contracts';
import { ownSystem } from '../domain/connector';
import { observationProblem, toFhirObservation } from '../domain/observation-mapping';
import { patientKeyOf, type PatientKey } from '../domain/patient-mapping';
import type { Connection } from '../adapters/connector-registry';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeOrPark } from './write-or-park';

/**
 * What happens when a patient reports a vital sign (reminders' ObservationRecorded): each
 * connector carrying observations gets a vital-signs Observation with the LOINC code and the
 * UCUM quantity, created once per observation id whatever the redeliveries.
 */
export class SyncObservation {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<ObservationRecorded>): Promise<void> {
    const o = event.payload;
    if (o.tenantId !== event.tenantId) throw new NonRetryableError('observation tenant_id differs from the envelope tenant');
    // Nothing to do for a tenant without such a connector; nor to keep for replays (they cover
    // what arrived while a connector existed).
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'observations-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'observation', event.occurredAt, ObservationRecorded.encode(o).finish());
    await this.applyToAll(o, { event: { eventId: event.id, topic: 'observation' } });
  }

  /** Every connector of the tenant (or `only` one); with `event`, a down connector's write is parked. */
  async applyToAll(o: ObservationRecorded, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const key = this.keyOf(o);
    const connections = (await this.deps.connectors.connectionsFor(o.tenantId, 'observations-out')).filter((c) => !options.only || c.connector.connectorId === options.only);
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, `${key.kind}:${key.value}`, options.event, () => this.applyTo(connection, o));
    }
  }

  /** One connector, now (also the drainer's path). */
  async applyTo(connection: Connection, o: ObservationRecorded): Promise<void> {
    const key = this.keyOf(o);
    const started = performance.now();
    const subject = await this.deps.patients.referenceFor(connection, key, '');
    const observation = assertValidR4(toFhirObservation(o, subject));
    const system = ownSystem(o.tenantId, 'observation');
    const { created } = await connection.fhir.create(observation, `identifier=${encodeURIComponent(system)}|${encodeURIComponent(o.observationId)}`);
    this.deps.observe?.('Observation', created ? 'created' : 'unchanged', (performance.now() - started) / 1000);
  }

  private keyOf(o: ObservationRecorded): PatientKey {
    const problem = observationProblem(o);
    if (problem) throw new NonRetryableError(`observation cannot be sent: ${problem}`);
    const key = patientKeyOf(o.tenantId, o.patientId, o.contactId);
    if (!key) throw new NonRetryableError('observation has neither patient_id nor contact_id');
    return key;
  }
}
