import type { Logger } from '@careloop/observability';
import type { Connection } from '../adapters/connector-registry';
import type { JournalTopic } from '../adapters/sync-journal';
import type { SyncFlowName } from '../domain/connector';
import type { PatientDirectory } from './patient-directory';

/** The tenant's live connections carrying a flow (ConnectorRegistry). */
export interface ConnectionSource {
  connectionsFor(tenantId: string, flow: SyncFlowName): Promise<Connection[]>;
}

/** Where received events are kept for replays (SyncJournal). */
export interface EventJournal {
  record(tenantId: string, eventId: string, topic: JournalTopic, occurredAt: Date, payload: Uint8Array): Promise<void>;
}

/** Writes waiting for a connector whose circuit is open (ParkedWrites). */
export interface ParkingLot {
  waiting(tenantId: string, connectorId: string, key: string): Promise<boolean>;
  park(write: { tenantId: string; connectorId: string; key: string; eventId: string; topic: JournalTopic }): Promise<void>;
}

/** The event a live write comes from: what gets parked if its connector is down. */
export interface EventRef {
  readonly eventId: string;
  readonly topic: JournalTopic;
}

/** What the outbound use cases work with. */
export interface SyncDeps {
  readonly connectors: ConnectionSource;
  readonly patients: PatientDirectory;
  readonly journal: EventJournal;
  readonly logger: Logger;
  /** Absent: writes to a down connector are retried in place (unit tests, replays). */
  readonly parking?: ParkingLot;
  /** Metrics hook: one call per resource written (or found up to date) per connector. */
  readonly observe?: (resourceType: string, outcome: string, seconds: number) => void;
}
