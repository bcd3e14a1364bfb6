import type { Appointment as FhirAppointment, AppointmentResponse, Patient, Reference } from '@medplum/fhirtypes';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { AppointmentChanged } from '@careloop/contracts';
import type { Connection } from '../adapters/connector-registry';
import { appointmentResponseIdentifier, logicalAppointmentReference, patientAnswerOf, toFhirAppointmentResponse } from '../domain/appointment-response-mapping';
import { ehrAppointmentSystem, ownSystem } from '../domain/connector';
import { patientKeyOf } from '../domain/patient-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeOrPark } from './write-or-park';

/**
 * What happens when a patient confirms, declines or cancels an appointment in a chat: each FHIR
 * connector carrying appointment responses gets an AppointmentResponse (the Patient, accepted or
 * declined), created once per answer whatever the redeliveries (conditional create on the
 * appointment id and the version the answer made). It is applied after the Appointment itself
 * (same handler, same parking key), so the Appointment it points to is there.
 */
export class SyncAppointmentResponse {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<AppointmentChanged>): Promise<void> {
    if (!patientAnswerOf(event.payload)) return;
    const a = event.payload.appointment;
    if (!a?.appointmentId) throw new NonRetryableError('AppointmentChanged without appointment');
    if (a.tenantId !== event.tenantId) throw new NonRetryableError('appointment.tenant_id differs from the envelope tenant');
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'appointment-responses-out')).length === 0) return;
    // The same journal entry as the Appointment's (keyed by event id): a replay applies both.
    await this.deps.journal.record(event.tenantId, event.id, 'appointment', event.occurredAt, AppointmentChanged.encode(event.payload).finish());
    await this.applyToAll(event.payload, { event: { eventId: event.id, topic: 'appointment-response' } });
  }

  async applyToAll(change: AppointmentChanged, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const a = change.appointment;
    if (!a || !patientAnswerOf(change)) return;
    const connections = (await this.deps.connectors.connectionsFor(a.tenantId, 'appointment-responses-out')).filter((c) => !c.webhook && (!options.only || c.connector.connectorId === options.only));
    for (const connection of connections) {
      // The appointment's key: a response parks behind its parked Appointment, in order.
      await writeOrPark(this.deps, connection, a.appointmentId, options.event, async () => {
        await this.applyTo(connection, change);
      });
    }
  }

  /** One connector, now (also the drainer's path). */
  async applyTo(connection: Connection, change: AppointmentChanged): Promise<'created' | 'unchanged' | 'skipped'> {
    const a = change.appointment;
    const answer = patientAnswerOf(change);
    if (!a || !answer) return 'skipped';
    const started = performance.now();
    const id = appointmentResponseIdentifier(a.tenantId, a.appointmentId, a.version);
    const { appointment, actor } = await this.targets(connection, change);
    const desired = assertValidR4(toFhirAppointmentResponse(a.tenantId, change, answer, appointment, actor));
    const { created } = await connection.fhir.create<AppointmentResponse>(desired, `identifier=${encodeURIComponent(id.system)}|${encodeURIComponent(id.value)}`);
    const outcome = created ? 'created' : 'unchanged';
    this.deps.observe?.('AppointmentResponse', outcome, (performance.now() - started) / 1000);
    this.deps.logger.debug({ tenantId: a.tenantId, connectorId: connection.connector.connectorId, appointmentId: a.appointmentId, version: a.version, outcome }, 'appointment response synced');
    return outcome;
  }

  /**
   * The Appointment and the Patient the answer is about. An appointment imported from this EHR
   * is the EHR's own: its Appointment and the EHR's Patient on it (never a Patient of ours).
   * Otherwise the Appointment crm-sync wrote (a logical reference by our id if the connector
   * holds none, e.g. without appointments out) and our pseudonymous Patient.
   */
  private async targets(connection: Connection, change: AppointmentChanged): Promise<{ appointment: Reference<FhirAppointment>; actor: Reference<Patient> }> {
    const a = change.appointment as NonNullable<AppointmentChanged['appointment']>;
    const ehrId = a.externalIds.find((x) => x.system === ehrAppointmentSystem(connection.connector))?.value;
    if (ehrId) {
      const ehr = await connection.fhir.read<FhirAppointment>('Appointment', ehrId);
      if (!ehr) throw new NonRetryableError('the EHR no longer has the appointment this one was imported from');
      const patient = ehr.participant.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor?.reference;
      if (!patient) throw new NonRetryableError('the EHR appointment has no Patient participant');
      return { appointment: { reference: `Appointment/${ehrId}` }, actor: { reference: patient } };
    }
    const key = patientKeyOf(a.tenantId, a.patientId, a.contactId);
    if (!key) throw new NonRetryableError('appointment has neither patient_id nor contact_id');
    const actor = await this.deps.patients.referenceFor(connection, key, a.language);
    const system = ownSystem(a.tenantId, 'appointment');
    const bundle = await connection.fhir.search<FhirAppointment>('Appointment', { identifier: `${system}|${a.appointmentId}`, _count: '1', _elements: 'id' });
    const found = bundle.entry?.[0]?.resource?.id;
    return { appointment: found ? { reference: `Appointment/${found}` } : logicalAppointmentReference(a.tenantId, a.appointmentId), actor };
  }
}
