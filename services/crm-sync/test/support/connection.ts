import { randomUUID } from 'node:crypto';
import { AppointmentChangeKind, AppointmentStatus, BookingChannel, ChangeSource, PatientResponse, type AppointmentChanged, type AppointmentSnapshot } from '@careloop/contracts';
import type { ReceivedEvent } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import type { Connection } from '../../src/adapters/connector-registry';
import type { StoredConnector } from '../../src/adapters/connector-store';
import { CircuitBreaker } from '../../src/adapters/fhir/circuit-breaker';
import { FhirClient } from '../../src/adapters/fhir/fhir-client';
import { GuardedHttp } from '../../src/adapters/fhir/guarded-http';
import { tokenSourceFor } from '../../src/adapters/fhir/token-source';
import { LimiterRateGate } from '../../src/adapters/rate-gate';
import type { ConnectorAuth, SyncFlowName } from '../../src/domain/connector';
import { HostPolicy } from '../../src/domain/host-policy';
import { PatientDirectory } from '../../src/use-cases/patient-directory';
import type { SyncDeps } from '../../src/use-cases/ports';

export const silentLogger = createLogger({ service: 'crm-sync-test', level: 'silent' });

/** Loopback allowed explicitly, as local runs do. */
export const loopbackPolicy = new HostPolicy({ allowedHosts: ['127.0.0.1'], privateHostsAllowed: ['127.0.0.1'], allowPlainHttp: true });

export function connectionTo(baseUrl: string, options: { tenantId?: string; auth?: ConnectorAuth; breaker?: CircuitBreaker; flows?: SyncFlowName[]; timeoutMs?: number } = {}): Connection {
  const tenantId = options.tenantId ?? 'tenant-a';
  const http = new GuardedHttp(loopbackPolicy, options.timeoutMs ?? 2_000);
  const connector: StoredConnector = {
    tenantId,
    connectorId: 'ehr',
    kind: 'fhir-r4',
    baseUrl,
    enabled: true,
    flows: options.flows ?? ['appointments-out', 'observations-out'],
    ratePerSecond: 1_000,
    mrnSystem: 'urn:oid:1.2.3',
    import: undefined,
    auth: options.auth ?? { method: 'none' },
    webhookTemplate: '',
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const fhir = new FhirClient({
    connectorId: `${tenantId}/ehr`,
    baseUrl,
    ratePerSecond: 1_000,
    http,
    tokens: tokenSourceFor(connector.auth, http),
    breaker: options.breaker ?? new CircuitBreaker('ehr', { failures: 100, cooldownMs: 1_000 }),
    rate: LimiterRateGate.memory(),
  });
  return { connector, fhir };
}

export function depsWith(connection: Connection): SyncDeps & { journaled: string[] } {
  const journaled: string[] = [];
  return {
    connectors: { connectionsFor: (_tenant, flow) => Promise.resolve(connection.connector.flows.includes(flow) ? [connection] : []) },
    patients: new PatientDirectory(),
    journal: { record: (_t, eventId) => Promise.resolve(void journaled.push(eventId)) },
    logger: silentLogger,
    journaled,
  };
}

export function snapshot(overrides: Partial<AppointmentSnapshot> = {}): AppointmentSnapshot {
  const start = new Date(Date.now() + 86_400_000);
  return {
    appointmentId: 'appt-1',
    tenantId: 'tenant-a',
    facilityId: 'madrid-central',
    facilityTimeZone: 'Europe/Madrid',
    departmentId: 'cardiology',
    practitionerId: 'dr-garcia',
    serviceType: 'consultation',
    start,
    end: new Date(start.getTime() + 20 * 60_000),
    status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
    version: 1,
    patientId: 'patient-1',
    contactId: 'contact-1',
    bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT,
    endpoint: undefined,
    recipient: undefined,
    language: 'es',
    bookedAt: new Date(),
    leadTimeSeconds: 86_400,
    cancellationReason: '',
    cancelledAt: undefined,
    patientResponse: PatientResponse.PATIENT_RESPONSE_NEEDS_ACTION,
    confirmedAt: undefined,
    arrivedAt: undefined,
    fulfilledAt: undefined,
    noShowAt: undefined,
    rescheduledAt: undefined,
    rescheduleCount: 0,
    slotId: 'slot-1',
    waitlistEntryId: '',
    externalIds: [],
    facilityName: 'Hospital Central',
    departmentName: 'Cardiología',
    practitionerName: 'Dr. Ana García',
    facilityAddress: '',
    ...overrides,
  };
}

export function changed(a: AppointmentSnapshot, kind = AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED, source = ChangeSource.CHANGE_SOURCE_PATIENT): AppointmentChanged {
  return { kind, appointment: a, changedAt: new Date(), source, previousStatus: AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED, previousStart: undefined, previousEnd: undefined, previousPractitionerId: '', previousSlotId: '' };
}

export function received<T>(payload: T, tenantId = 'tenant-a'): ReceivedEvent<T> {
  return { id: randomUUID(), type: 't', tenantId, facilityId: '', occurredAt: new Date(), causationId: '', correlationId: '', producer: 'test', payload, topic: 't', partition: 0, offset: '0', key: null };
}
