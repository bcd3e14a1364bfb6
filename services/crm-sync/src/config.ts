import { setting, z } from '@careloop/config';

/** Comma-separated list, blanks dropped, lower-cased (hosts compare case-insensitively). */
const hostList = () =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0))
    .pipe(z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/, 'must be host, host:port or *.domain, comma-separated')));

export const crmSyncSettings = z.object({
  /** scheduling's gRPC address (ImportAppointment for EHR-booked appointments). */
  SCHEDULING_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
  /**
   * The EHR/CRM hosts connectors may call, set by the operator (never by a tenant):
   * "ehr.example.org", "fhir.example.org:8443", "*.hospital.example". Empty: every connector is refused.
   */
  CRM_ALLOWED_HOSTS: hostList(),
  /**
   * Allowed hosts that may resolve to private, loopback or link-local addresses (an EHR inside
   * the hospital network, the local HAPI server). Anything else resolving there is refused.
   */
  CRM_PRIVATE_HOSTS_ALLOWED: hostList(),
  /** http:// base URLs (local runs only); https otherwise. */
  CRM_ALLOW_PLAIN_HTTP: setting.boolean(false),
  /** One request to an EHR, connect to last byte. */
  CRM_REQUEST_TIMEOUT_MS: setting.positiveInt(10_000),
  /** Requests per second per connector when the connector names none. */
  CRM_DEFAULT_RATE_PER_SECOND: z.coerce.number().positive().default(50),
  /** Consecutive transient failures that open a connector's circuit. */
  CRM_BREAKER_FAILURES: setting.positiveInt(5),
  /** How long an open circuit refuses calls before one trial call. */
  CRM_BREAKER_COOLDOWN_MS: setting.positiveInt(5_000),
  /** Ceiling of the backoff between two attempts of an event whose write failed transiently. */
  CRM_RETRY_MAX_DELAY_MS: setting.positiveInt(30_000),
  /** First backoff of a transiently failed event. */
  CRM_RETRY_INITIAL_DELAY_MS: setting.positiveInt(250),
  /** Partitions handled at once, and keys (appointments, contacts) at once within a partition. */
  CRM_PARTITIONS_CONCURRENTLY: setting.positiveInt(6),
  CRM_KEYS_CONCURRENTLY: setting.positiveInt(16),
  /** How often the FHIR-in poller looks for connectors due a poll. */
  CRM_POLL_TICK_MS: setting.positiveInt(2_000),
  /** How often writes parked for a down connector are tried again. */
  CRM_DRAIN_TICK_MS: setting.positiveInt(1_000),
  /** Off: no EHR polling in this replica (e.g. a replay-only process). */
  CRM_POLL_ENABLED: setting.boolean(true),
});

export type CrmSyncSettings = z.infer<typeof crmSyncSettings>;
