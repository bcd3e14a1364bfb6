import * as grpc from '@grpc/grpc-js';
import { BookingChannel, schedulingApi, type BusinessEndpoint, type ChannelIdentity } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import { MissingTenantError } from '@careloop/store';
import { isCancellationReason, statusFromProto } from '../domain/appointment';
import { isDirectoryId } from '../domain/ids';
import type { Addressing, AppointmentRecord } from './appointment-store';
import { bookingChannelFromProto, snapshotOf, sourceFromProto } from './appointment-events';
import type { DirectoryStore } from './directory-store';
import { InvalidChangeError, NotFoundError, type Appointments, type BookResult } from '../use-cases/appointments';
import { PatientBusyError } from './patient-booking-lock';
import { InvalidInputError, type ManageDirectory } from '../use-cases/manage-directory';
import type { SearchSlots } from '../use-cases/search-slots';
import type { Waitlist } from '../use-cases/waitlist';

const { BookOutcome } = schedulingApi;

class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

function require(fields: Record<string, string>): void {
  const missing = Object.entries(fields)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) throw new BadRequest(`missing: ${missing.join(', ')}`);
}

function tenantOf(tenantId: string): string {
  if (!isDirectoryId(tenantId)) throw new BadRequest('tenant_id is missing or malformed');
  return tenantId;
}

export function addressingOf(endpoint: BusinessEndpoint | undefined, recipient: ChannelIdentity | undefined): Addressing | undefined {
  if (!endpoint?.endpointId || !recipient?.channelUserId) return undefined;
  return { channel: endpoint.channel, endpointId: endpoint.endpointId, displayAddress: endpoint.displayAddress, accountId: endpoint.accountId, channelUserId: recipient.channelUserId };
}

/** Maps domain errors to gRPC statuses; messages name fields, never values. */
function statusOf(error: unknown): { code: grpc.status; details: string } {
  if (error instanceof BadRequest || error instanceof InvalidInputError || error instanceof MissingTenantError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof NotFoundError) return { code: grpc.status.NOT_FOUND, details: error.message };
  if (error instanceof InvalidChangeError) return { code: grpc.status.FAILED_PRECONDITION, details: error.message };
  // Another booking of the same patient held the lock for seconds: the caller may retry.
  if (error instanceof PatientBusyError) return { code: grpc.status.UNAVAILABLE, details: error.message };
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

/** scheduling's gRPC API (careloop.scheduling.v1.SchedulingService). */
export function schedulingGrpc(deps: {
  readonly manage: ManageDirectory;
  readonly directory: DirectoryStore;
  readonly search: SearchSlots;
  readonly appointments: Appointments;
  readonly waitlist: Waitlist;
  readonly horizonDays: number;
  readonly now: () => Date;
  readonly logger: Logger;
}): schedulingApi.SchedulingServiceServer {
  function unary<Req, Res>(handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const s = statusOf(error);
          if (s.code === grpc.status.INTERNAL) deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : '' } }, 'scheduling call failed');
          callback({ code: s.code, details: s.details });
        },
      );
    };
  }
  const snapshot = (a: AppointmentRecord) => snapshotOf(deps.directory, a);
  const bookResponse = async (r: BookResult) => ({
    outcome: { booked: BookOutcome.BOOK_OUTCOME_BOOKED, taken: BookOutcome.BOOK_OUTCOME_SLOT_TAKEN, limit: BookOutcome.BOOK_OUTCOME_LIMIT_REACHED, unavailable: BookOutcome.BOOK_OUTCOME_SLOT_UNAVAILABLE }[r.outcome],
    appointment: r.appointment ? await snapshot(r.appointment) : undefined,
  });

  return {
    upsertFacility: unary(async (req: schedulingApi.UpsertFacilityRequest) => {
      const f = req.facility;
      if (!f) throw new BadRequest('missing: facility');
      const saved = await deps.manage.upsertFacility(tenantOf(f.tenantId), { facilityId: f.facilityId, name: f.name, timeZone: f.timeZone, address: f.address, city: f.city, country: f.country });
      return { facility: { ...saved, tenantId: f.tenantId } };
    }),
    upsertDepartment: unary(async (req: schedulingApi.UpsertDepartmentRequest) => {
      const d = req.department;
      if (!d) throw new BadRequest('missing: department');
      const saved = await deps.manage.upsertDepartment(tenantOf(d.tenantId), { departmentId: d.departmentId, name: d.name, serviceTypes: d.serviceTypes.map((s) => ({ code: s.code, name: s.name, minutes: s.minutes })), maxFutureBookingsPerPatient: d.maxFutureBookingsPerPatient });
      return { department: { ...saved, tenantId: d.tenantId } };
    }),
    upsertPractitioner: unary(async (req: schedulingApi.UpsertPractitionerRequest) => {
      const p = req.practitioner;
      if (!p) throw new BadRequest('missing: practitioner');
      const saved = await deps.manage.upsertPractitioner(tenantOf(p.tenantId), { practitionerId: p.practitionerId, name: p.name, departmentIds: p.departmentIds, facilityIds: p.facilityIds, roles: p.roles, languages: p.languages, active: p.active });
      return { practitioner: { ...saved, tenantId: p.tenantId } };
    }),
    upsertSchedule: unary(async (req: schedulingApi.UpsertScheduleRequest) => {
      const s = req.schedule;
      if (!s) throw new BadRequest('missing: schedule');
      const r = await deps.manage.upsertSchedule(tenantOf(s.tenantId), {
        scheduleId: s.scheduleId,
        practitionerId: s.practitionerId,
        facilityId: s.facilityId,
        departmentId: s.departmentId,
        serviceType: s.serviceType,
        slotMinutes: s.slotMinutes,
        capacity: s.capacity,
        hours: s.hours.map((h) => ({ weekdays: h.weekdays, start: h.start, end: h.end })),
        exceptions: s.exceptions.map((e) => ({ fromDate: e.fromDate, toDate: e.toDate, kind: e.kind, start: e.start, end: e.end })),
        validFrom: s.validFrom,
        validTo: s.validTo,
      });
      return { schedule: { ...r.schedule, tenantId: s.tenantId, hours: r.schedule.hours.map((h) => ({ ...h, weekdays: [...h.weekdays] })), exceptions: r.schedule.exceptions.map((e) => ({ ...e, start: e.start ?? '', end: e.end ?? '' })) }, daysGenerated: r.daysGenerated };
    }),
    getDirectory: unary(async (req: schedulingApi.GetDirectoryRequest) => {
      const tenantId = tenantOf(req.tenantId);
      const d = await deps.directory.directory(tenantId);
      return {
        facilities: [...d.facilities.values()].map((f) => ({ ...f, tenantId })),
        departments: [...d.departments.values()].map((x) => ({ ...x, tenantId })),
        practitioners: [...d.practitioners.values()].map((p) => ({ ...p, tenantId })),
      };
    }),
    searchSlots: unary(async (req: schedulingApi.SearchSlotsRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ department_id: req.departmentId });
      if (req.limit < 0 || req.limit > 100) throw new BadRequest('limit must be 0..100');
      const now = deps.now();
      const from = req.from && req.from.getTime() > now.getTime() ? req.from : now;
      const to = req.to ?? new Date(now.getTime() + deps.horizonDays * 86_400_000);
      const slots = await deps.search.execute({ tenantId, departmentId: req.departmentId, practitionerId: req.practitionerId || undefined, facilityId: req.facilityId || undefined, serviceType: req.serviceType || undefined, language: req.language || undefined, from, to, limit: req.limit || 10 });
      const last = slots[slots.length - 1];
      return {
        slots: slots.map((s) => ({ slotId: s.slotId, practitionerId: s.practitionerId, facilityId: s.facilityId, departmentId: s.departmentId, serviceType: s.serviceType, start: s.start, end: s.end, capacity: s.capacity, free: s.free, facilityTimeZone: s.timeZone })),
        nextCursor: last && slots.length === (req.limit || 10) ? new Date(last.start.getTime() + 60_000).toISOString() : '',
      };
    }),
    book: unary(async (req: schedulingApi.BookRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ request_id: req.requestId, slot_id: req.slotId, patient_id: req.patientId });
      if (req.requestId.length > 200) throw new BadRequest('request_id is too long');
      const channel = req.bookingChannel === BookingChannel.BOOKING_CHANNEL_UNSPECIFIED ? 'agent' : bookingChannelFromProto(req.bookingChannel);
      return bookResponse(
        await deps.appointments.book({
          tenantId,
          requestId: req.requestId,
          slotId: req.slotId,
          patientId: req.patientId,
          contactId: req.contactId,
          bookingChannel: channel,
          addressing: addressingOf(req.endpoint, req.recipient),
          language: req.language || 'en',
          source: sourceFromProto(req.source, channel === 'chat' ? 'patient' : 'staff'),
        }),
      );
    }),
    cancel: unary(async (req: schedulingApi.CancelRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ appointment_id: req.appointmentId });
      const reason = req.reason || 'pat';
      if (!isCancellationReason(reason)) throw new BadRequest('reason must be an appointment-cancellation-reason code');
      return { appointment: await snapshot(await deps.appointments.cancel(tenantId, req.appointmentId, reason, sourceFromProto(req.source, 'staff'))) };
    }),
    reschedule: unary(async (req: schedulingApi.RescheduleRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ appointment_id: req.appointmentId, new_slot_id: req.newSlotId, request_id: req.requestId });
      return bookResponse(await deps.appointments.reschedule(tenantId, req.appointmentId, req.newSlotId, req.requestId, sourceFromProto(req.source, 'staff')));
    }),
    confirm: unary(async (req: schedulingApi.ConfirmRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ appointment_id: req.appointmentId });
      return { appointment: await snapshot(await deps.appointments.confirm(tenantId, req.appointmentId, sourceFromProto(req.source, 'patient'))) };
    }),
    markAttendance: unary(async (req: schedulingApi.MarkAttendanceRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ appointment_id: req.appointmentId });
      const status = statusFromProto(req.status);
      if (!status) throw new BadRequest('status is missing');
      return { appointment: await snapshot(await deps.appointments.markAttendance(tenantId, req.appointmentId, status, sourceFromProto(req.source, 'staff'))) };
    }),
    importAppointment: unary(async (req: schedulingApi.ImportAppointmentRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ 'external_id.system': req.externalId?.system ?? '', 'external_id.value': req.externalId?.value ?? '', practitioner_id: req.practitionerId, facility_id: req.facilityId, department_id: req.departmentId, patient_id: req.patientId });
      const status = statusFromProto(req.status);
      if (!status) throw new BadRequest('status is missing');
      if (!req.start || !req.end || req.end.getTime() <= req.start.getTime()) throw new BadRequest('start/end are missing or reversed');
      if (req.cancellationReason && !isCancellationReason(req.cancellationReason)) throw new BadRequest('cancellation_reason must be an appointment-cancellation-reason code');
      const a = await deps.appointments.importFromEhr({
        tenantId,
        system: req.externalId?.system ?? '',
        value: req.externalId?.value ?? '',
        practitionerId: req.practitionerId,
        facilityId: req.facilityId,
        departmentId: req.departmentId,
        serviceType: req.serviceType,
        start: req.start,
        end: req.end,
        status,
        patientId: req.patientId,
        contactId: req.contactId,
        cancellationReason: req.cancellationReason,
        language: req.language || 'en',
        addressing: addressingOf(req.endpoint, req.recipient),
      });
      return { appointment: await snapshot(a) };
    }),
    listAppointments: unary(async (req: schedulingApi.ListAppointmentsRequest) => {
      const tenantId = tenantOf(req.tenantId);
      if (!req.patientId && !req.contactId) throw new BadRequest('missing: patient_id or contact_id');
      const list = await deps.appointments.list(tenantId, req.patientId ? { patientId: req.patientId } : { contactId: req.contactId }, req.upcomingOnly);
      return { appointments: await Promise.all(list.map(snapshot)) };
    }),
    joinWaitlist: unary(async (req: schedulingApi.JoinWaitlistRequest) => {
      const tenantId = tenantOf(req.tenantId);
      require({ request_id: req.requestId });
      if (!req.departmentId && !req.currentAppointmentId) throw new BadRequest('missing: department_id or current_appointment_id');
      if (!req.currentAppointmentId) require({ patient_id: req.patientId });
      const entry = await deps.waitlist.join({
        tenantId,
        requestId: req.requestId,
        departmentId: req.departmentId,
        practitionerId: req.practitionerId,
        facilityId: req.facilityId,
        patientId: req.patientId,
        contactId: req.contactId,
        addressing: addressingOf(req.endpoint, req.recipient),
        language: req.language,
        currentAppointmentId: req.currentAppointmentId,
        before: req.before,
      });
      return { waitlistEntryId: entry.entryId };
    }),
  };
}
