import type { Communication } from '@medplum/fhirtypes';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { ReminderChanged } from '@careloop/contracts';
import type { Connection } from '../adapters/connector-registry';
import { VersionConflictError } from '../adapters/fhir/fhir-client';
import { communicationStatus, toFhirCommunication } from '../domain/communication-mapping';
import { ownSystem } from '../domain/connector';
import { TransientFhirError } from '../domain/errors';
import { sourceVersionOf } from '../domain/appointment-mapping';
import { patientKeyOf } from '../domain/patient-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeOrPark } from './write-or-park';

const CONFLICT_ATTEMPTS = 5;

/**
 * What happens when a reminder is sent, delivered, read or fails (reminders' ReminderChanged):
 * each connector carrying communications holds one Communication per reminder at its latest
 * state (by reminders' sequence; If-Match on updates). Other states are not recorded.
 */
export class SyncCommunication {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<ReminderChanged>): Promise<void> {
    const r = event.payload;
    if (!communicationStatus(r.state)) return;
    if (r.tenantId !== event.tenantId) throw new NonRetryableError('reminder tenant_id differs from the envelope tenant');
    // Nothing to do for a tenant without such a connector; nor to keep for replays (they cover
    // what arrived while a connector existed).
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'communications-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'communication', event.occurredAt, ReminderChanged.encode(r).finish());
    await this.applyToAll(r, { event: { eventId: event.id, topic: 'communication' } });
  }

  async applyToAll(r: ReminderChanged, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const connections = (await this.deps.connectors.connectionsFor(r.tenantId, 'communications-out')).filter((c) => !options.only || c.connector.connectorId === options.only);
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, `reminder:${r.reminderId}`, options.event, async () => {
        await this.applyTo(connection, r);
      });
    }
  }

  async applyTo(connection: Connection, r: ReminderChanged): Promise<'created' | 'updated' | 'unchanged'> {
    const key = patientKeyOf(r.tenantId, r.patientId, r.contactId);
    if (!key) throw new NonRetryableError('reminder has neither patient_id nor contact_id');
    const subject = await this.deps.patients.referenceFor(connection, key, '');
    const system = ownSystem(r.tenantId, 'reminder');
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const bundle = await connection.fhir.search<Communication>('Communication', { identifier: `${system}|${r.reminderId}`, _count: '1' });
      const existing = bundle.entry?.[0]?.resource;
      const built = toFhirCommunication(r, subject, existing?.sent);
      if (!built) return 'unchanged';
      const desired = assertValidR4(built);
      if (!existing) {
        const { resource, created } = await connection.fhir.create(desired, `identifier=${encodeURIComponent(system)}|${encodeURIComponent(r.reminderId)}`);
        if (created) return 'created';
        if (sourceVersionOf(resource) >= r.sequence) return 'unchanged';
        continue; // created in between: read it, then update
      }
      if (sourceVersionOf(existing) >= r.sequence) return 'unchanged';
      if (!existing.id) throw new TransientFhirError('the server returned a Communication without id', undefined);
      try {
        await connection.fhir.update({ ...desired, id: existing.id }, existing.meta?.versionId);
        return 'updated';
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
    throw new TransientFhirError(`Communication kept changing under ${CONFLICT_ATTEMPTS} version-aware updates`, 412);
  }
}
