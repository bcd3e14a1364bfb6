import type { Appointment as FhirAppointment, Bundle, Patient } from '@medplum/fhirtypes';
import type { Logger } from '@careloop/observability';
import type { Connection, ConnectorRegistry } from '../adapters/connector-registry';
import type { PollEntry, PollSchedule } from '../adapters/poll-schedule';
import { ImportRefusedError, type SchedulingPort } from '../adapters/scheduling-client';
import { carries, type Connector, type ImportSettings } from '../domain/connector';
import { isOwnAppointment, patientReferenceOf, toImportRequest } from '../domain/import-mapping';

const PAGE_SIZE = 50;
/** Pages per poll at most; the rest waits for the next poll (the cursor has moved). */
const MAX_PAGES = 20;

export interface PollResult {
  readonly imported: number;
  readonly skipped: number;
  readonly cursor: string;
}

/**
 * What happens when a connector's poll is due: the EHR's appointments changed since the cursor
 * (`_lastUpdated`, oldest first) go to scheduling's ImportAppointment, keyed by the EHR's id, so
 * new bookings and status changes (arrived, fulfilled, noshow, cancelled) arrive the same way.
 * scheduling then publishes them like any appointment and reminders schedules their reminders.
 * The cursor moves after each appointment scheduling took; a failure stops the poll there.
 */
export class ImportEhrAppointments {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly schedule: PollSchedule,
    private readonly scheduling: SchedulingPort,
    private readonly logger: Logger,
  ) {}

  async poll(entry: PollEntry): Promise<PollResult | undefined> {
    const connection = await this.registry.connection(entry.tenantId, entry.connectorId);
    if (!connection || !carries(connection.connector, 'appointments-in') || !connection.connector.import) return undefined;
    const connector = connection.connector as Connector & { import: ImportSettings };
    let cursor = entry.cursor;
    let imported = 0;
    let skipped = 0;
    // `ge`, not `gt`: appointments sharing the cursor's instant are not lost at a page boundary;
    // the one already imported is imported again, which scheduling sees as unchanged.
    let bundle: Bundle<FhirAppointment> | undefined = await connection.fhir.search<FhirAppointment>('Appointment', {
      _lastUpdated: `ge${cursor}`,
      _sort: '_lastUpdated',
      _count: String(PAGE_SIZE),
    });
    const patients = new Map<string, Patient | undefined>();
    for (let page = 0; bundle && page < MAX_PAGES; page++) {
      for (const resource of (bundle.entry ?? []).map((e) => e.resource)) {
        if (resource?.resourceType !== 'Appointment') continue;
        const at = resource.meta?.lastUpdated;
        if (!isOwnAppointment(connector.tenantId, resource)) {
          const patient = await this.patientOf(connection, resource, patients);
          const plan = toImportRequest(connector, resource, patient);
          if ('skip' in plan) {
            skipped += 1;
            this.logger.warn({ tenantId: connector.tenantId, connectorId: connector.connectorId, ehrAppointmentId: resource.id, reason: plan.skip }, 'EHR appointment not imported');
          } else {
            try {
              await this.scheduling.importAppointment(plan.request);
              imported += 1;
            } catch (error) {
              if (!(error instanceof ImportRefusedError)) throw error;
              skipped += 1;
              this.logger.warn({ tenantId: connector.tenantId, connectorId: connector.connectorId, ehrAppointmentId: resource.id, reason: error.message }, 'EHR appointment refused by scheduling');
            }
          }
        }
        if (at && at > cursor) {
          cursor = at;
          await this.schedule.advance(connector.tenantId, connector.connectorId, cursor);
        }
      }
      const next: string | undefined = bundle.link?.find((l) => l.relation === 'next')?.url;
      bundle = next ? await connection.fhir.page<FhirAppointment>(next) : undefined;
    }
    return { imported, skipped, cursor };
  }

  private async patientOf(connection: Connection, a: FhirAppointment, cache: Map<string, Patient | undefined>): Promise<Patient | undefined> {
    const id = patientReferenceOf(a);
    if (!id) return undefined;
    if (!cache.has(id)) cache.set(id, await connection.fhir.read<Patient>('Patient', id));
    return cache.get(id);
  }
}
