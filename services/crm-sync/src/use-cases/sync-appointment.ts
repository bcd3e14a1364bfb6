import type { Appointment as FhirAppointment } from '@medplum/fhirtypes';
import { nameBasedId, NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { AppointmentChanged, ChangeSource, type AppointmentSnapshot } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { Connection } from '../adapters/connector-registry';
import { VersionConflictError } from '../adapters/fhir/fhir-client';
import { sourceVersionOf, toFhirAppointment, withPatientChanges } from '../domain/appointment-mapping';
import { ehrAppointmentSystem, ownSystem } from '../domain/connector';
import { TransientFhirError } from '../domain/errors';
import { patientKeyOf } from '../domain/patient-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import { appointmentView, webhookBody } from '../domain/webhook-body';
import type { EventRef, SyncDeps } from './ports';
import { writeOrPark } from './write-or-park';

/** Attempts at a version-aware write before the event goes back to the bus to be retried later. */
const CONFLICT_ATTEMPTS = 5;

export type AppointmentOutcome = 'created' | 'updated' | 'unchanged' | 'written-back' | 'skipped' | 'delivered';

/**
 * What happens when scheduling publishes an appointment change: each of the tenant's FHIR
 * connectors gets the appointment as it now is. Idempotent by our appointment id (conditional
 * create; updates only from an older source version, If-Match on the server's version), so a
 * replayed or redelivered event leaves one resource, and an older event never overwrites a newer.
 * An appointment that came from this EHR is the EHR's own resource: only what the patient did in
 * a chat (confirm, decline, cancel) is written back to it.
 */
export class SyncAppointment {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<AppointmentChanged>): Promise<void> {
    const a = event.payload.appointment;
    if (!a?.appointmentId) throw new NonRetryableError('AppointmentChanged without appointment');
    if (a.tenantId !== event.tenantId) throw new NonRetryableError('appointment.tenant_id differs from the envelope tenant');
    // Nothing to do for a tenant without such a connector; nor to keep for replays (they cover
    // what arrived while a connector existed).
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'appointments-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'appointment', event.occurredAt, AppointmentChanged.encode(event.payload).finish());
    await this.applyToAll(event.payload, { event: { eventId: event.id, topic: 'appointment' } });
  }

  /** Every connector of the tenant (or `only` one); with `event`, a down connector's write is parked. */
  async applyToAll(change: AppointmentChanged, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const a = change.appointment;
    if (!a) return;
    const connections = (await this.deps.connectors.connectionsFor(a.tenantId, 'appointments-out')).filter((c) => !options.only || c.connector.connectorId === options.only);
    // One after another: a transient failure of any leaves the event unacknowledged, and the
    // connectors already written find their resource up to date on the retry.
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, a.appointmentId, options.event, async () => {
        await this.applyTo(connection, change);
      });
    }
  }

  /** One connector, now (also the drainer's path). */
  async applyTo(connection: Connection, change: AppointmentChanged): Promise<AppointmentOutcome> {
    const a = change.appointment;
    if (!a) return 'skipped';
    const started = performance.now();
    const outcome = await this.apply(connection, change);
    this.deps.observe?.('Appointment', outcome, (performance.now() - started) / 1000);
    this.logger.debug({ tenantId: a.tenantId, connectorId: connection.connector.connectorId, appointmentId: a.appointmentId, version: a.version, outcome }, 'appointment synced');
    return outcome;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  private async apply(connection: Connection, change: AppointmentChanged): Promise<AppointmentOutcome> {
    const a = change.appointment as AppointmentSnapshot;
    if (connection.webhook) {
      // One delivery id per change of the appointment: the CRM dedupes retries and replays on it.
      await connection.webhook.deliver(nameBasedId(a.tenantId, 'webhook', connection.connector.connectorId, a.appointmentId, String(a.version)), webhookBody(connection.connector.webhookTemplate, appointmentView(change)));
      return 'delivered';
    }
    const ehrId = a.externalIds.find((x) => x.system === ehrAppointmentSystem(connection.connector))?.value;
    if (ehrId) {
      if (change.source === ChangeSource.CHANGE_SOURCE_EHR) return 'skipped'; // it came from there
      return this.writeBack(connection, ehrId, a);
    }
    const key = patientKeyOf(a.tenantId, a.patientId, a.contactId);
    if (!key) throw new NonRetryableError('appointment has neither patient_id nor contact_id');
    const patient = await this.deps.patients.referenceFor(connection, key, a.language);
    const desired = assertValidR4(toFhirAppointment(a, patient));
    const system = ownSystem(a.tenantId, 'appointment');
    const version = a.version;
    const condition = `identifier=${encodeURIComponent(system)}|${encodeURIComponent(a.appointmentId)}`;
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      // A first version is most likely new: the conditional create alone finds out (one request,
      // and it hands back the resource if it exists after all). Later versions look first, so
      // the server does not validate a body it will not store.
      let existing = attempt === 1 && version === 1 ? undefined : await this.find(connection, system, a.appointmentId);
      if (!existing) {
        const { resource, created } = await connection.fhir.create(desired, condition);
        if (created) return 'created';
        existing = resource; // someone created it in between: update that one
      }
      if (sourceVersionOf(existing) >= version) return 'unchanged';
      if (!existing.id) throw new TransientFhirError('the server returned an Appointment without id', undefined);
      try {
        await connection.fhir.update({ ...desired, id: existing.id }, existing.meta?.versionId);
        return 'updated';
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
    throw new TransientFhirError(`Appointment kept changing under ${CONFLICT_ATTEMPTS} version-aware updates`, 412);
  }

  private async find(connection: Connection, system: string, value: string): Promise<FhirAppointment | undefined> {
    const bundle = await connection.fhir.search<FhirAppointment>('Appointment', { identifier: `${system}|${value}`, _count: '2' });
    const found = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is FhirAppointment => r?.resourceType === 'Appointment');
    if (found.length > 1) this.logger.warn({ connectorId: connection.connector.connectorId, appointmentId: value }, 'more than one Appointment carries our id; updating the first');
    return found[0];
  }

  private async writeBack(connection: Connection, ehrId: string, a: AppointmentSnapshot): Promise<AppointmentOutcome> {
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const current = await connection.fhir.read<FhirAppointment>('Appointment', ehrId);
      if (!current) throw new NonRetryableError('the EHR no longer has the appointment this one was imported from');
      const next = withPatientChanges(current, a);
      if (next.status === current.status && JSON.stringify(next.participant) === JSON.stringify(current.participant)) return 'unchanged';
      try {
        await connection.fhir.update({ ...next, id: ehrId }, current.meta?.versionId);
        return 'written-back';
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
    throw new TransientFhirError(`Appointment kept changing under ${CONFLICT_ATTEMPTS} version-aware updates`, 412);
  }
}
