import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { ObservationRecorded } from '@careloop/contracts';
import { ownSystem } from '../domain/connector';
import { observationProblem, toFhirObservation } from '../domain/observation-mapping';
import { patientKeyOf } from '../domain/patient-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import type { SyncDeps } from './ports';

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
    await this.deps.journal.record(event.tenantId, event.id, 'observation', event.occurredAt, ObservationRecorded.encode(o).finish());
    await this.applyToAll(o);
  }

  async applyToAll(o: ObservationRecorded, only?: string): Promise<number> {
    const problem = observationProblem(o);
    if (problem) throw new NonRetryableError(`observation cannot be sent: ${problem}`);
    const key = patientKeyOf(o.tenantId, o.patientId, o.contactId);
    if (!key) throw new NonRetryableError('observation has neither patient_id nor contact_id');
    const connections = (await this.deps.connectors.connectionsFor(o.tenantId, 'observations-out')).filter((c) => !only || c.connector.connectorId === only);
    for (const connection of connections) {
      const started = performance.now();
      const subject = await this.deps.patients.referenceFor(connection, key, '');
      const observation = assertValidR4(toFhirObservation(o, subject));
      const system = ownSystem(o.tenantId, 'observation');
      const { created } = await connection.fhir.create(observation, `identifier=${encodeURIComponent(system)}|${encodeURIComponent(o.observationId)}`);
      this.deps.observe?.('Observation', created ? 'created' : 'unchanged', (performance.now() - started) / 1000);
    }
    return connections.length;
  }
}
