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

/** What the outbound use cases work with. */
export interface SyncDeps {
  readonly connectors: ConnectionSource;
  readonly patients: PatientDirectory;
  readonly journal: EventJournal;
  readonly logger: Logger;
  /** Metrics hook: one call per resource written (or found up to date) per connector. */
  readonly observe?: (resourceType: string, outcome: string, seconds: number) => void;
}
