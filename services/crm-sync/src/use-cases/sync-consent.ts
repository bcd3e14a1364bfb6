import type { Consent } from '@medplum/fhirtypes';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { ConsentChanged } from '@careloop/contracts';
import type { Connection } from '../adapters/connector-registry';
import { VersionConflictError } from '../adapters/fhir/fhir-client';
import { changedAtOf, consentIdentifier, toFhirConsent } from '../domain/consent-mapping';
import { TransientFhirError } from '../domain/errors';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeOrPark } from './write-or-park';

const CONFLICT_ATTEMPTS = 5;

/**
 * What happens when a contact's messaging consent changes (routing's ConsentChanged): each
 * connector carrying consent gets one Consent per contact and purpose, kept at the latest state
 * (an older event, by changed_at, never overwrites a newer one; If-Match on updates).
 */
export class SyncConsent {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<ConsentChanged>): Promise<void> {
    if (!event.payload.contactId) throw new NonRetryableError('ConsentChanged without contact_id');
    // Nothing to do for a tenant without such a connector; nor to keep for replays (they cover
    // what arrived while a connector existed).
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'consent-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'consent', event.occurredAt, ConsentChanged.encode(event.payload).finish());
    await this.applyToAll(event.tenantId, event.payload, { event: { eventId: event.id, topic: 'consent' } });
  }

  async applyToAll(tenantId: string, c: ConsentChanged, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const connections = (await this.deps.connectors.connectionsFor(tenantId, 'consent-out')).filter((x) => !options.only || x.connector.connectorId === options.only);
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, `contact:${c.contactId}`, options.event, async () => {
        await this.applyTo(connection, tenantId, c);
      });
    }
  }

  async applyTo(connection: Connection, tenantId: string, c: ConsentChanged): Promise<'created' | 'updated' | 'unchanged'> {
    const patient = await this.deps.patients.referenceFor(connection, { tenantId, kind: 'contact', value: c.contactId }, c.language);
    const built = toFhirConsent(tenantId, c, patient);
    if (!built) return 'unchanged'; // no state to record
    const desired = assertValidR4(built);
    const id = consentIdentifier(tenantId, c);
    const changedAt = changedAtOf(desired);
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const bundle = await connection.fhir.search<Consent>('Consent', { identifier: `${id.system}|${id.value}`, _count: '1' });
      let existing = bundle.entry?.[0]?.resource;
      if (!existing) {
        const { resource, created } = await connection.fhir.create(desired, `identifier=${encodeURIComponent(id.system)}|${encodeURIComponent(id.value)}`);
        if (created) return 'created';
        existing = resource;
      }
      if (changedAtOf(existing) >= changedAt) return 'unchanged';
      if (!existing.id) throw new TransientFhirError('the server returned a Consent without id', undefined);
      try {
        await connection.fhir.update({ ...desired, id: existing.id }, existing.meta?.versionId);
        return 'updated';
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
    throw new TransientFhirError(`Consent kept changing under ${CONFLICT_ATTEMPTS} version-aware updates`, 412);
  }
}
