import type { Logger } from '@careloop/observability';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import type { SyncJournal } from '../adapters/sync-journal';
import type { PatientDirectory } from './patient-directory';

/** What the outbound use cases work with. */
export interface SyncDeps {
  readonly connectors: ConnectorRegistry;
  readonly patients: PatientDirectory;
  readonly journal: SyncJournal;
  readonly logger: Logger;
  /** Metrics hook: one call per resource written (or found up to date) per connector. */
  readonly observe?: (resourceType: string, outcome: string, seconds: number) => void;
}
