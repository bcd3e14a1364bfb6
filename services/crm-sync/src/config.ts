import { setting, z } from '@careloop/config';
import { DEFAULT_REFILL_POLICY, type RefillPolicy } from './domain/refill-policy';
import { DEFAULT_RESULTS_POLICY, type ResultsPolicy } from './domain/results-policy';

const refillPolicy = z.object({
  controlledCodes: z.array(z.string().min(1)).default([]),
  autoApprove: z.boolean().default(DEFAULT_REFILL_POLICY.autoApprove),
  pharmacyDepartment: z.string().regex(/^[A-Za-z0-9._-]+$/).default(DEFAULT_REFILL_POLICY.pharmacyDepartment),
  clinicianDepartment: z.string().regex(/^[A-Za-z0-9._-]+$/).default(DEFAULT_REFILL_POLICY.clinicianDepartment),
  pharmacyOrganizations: z.record(z.string(), z.string().regex(/^[A-Za-z0-9.-]{1,64}$/)).default({}),
});

const release = z.enum(['document', 'summary', 'announce', 'never']);
const resultsPolicy = z.object({
  rules: z.array(z.object({ match: z.string().min(1), release })).default([]),
  otherwise: release.default(DEFAULT_RESULTS_POLICY.otherwise),
  bookingDepartmentId: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  lookbackDays: z.number().int().positive().default(DEFAULT_RESULTS_POLICY.lookbackDays),
});

/** Comma-separated list, blanks dropped, lower-cased (hosts compare case-insensitively). */
const hostList = () =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0))
    .pipe(z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/, 'must be host, host:port or *.domain, comma-separated')));

export const crmSyncSettings = z.object({
  /**
   * Verifies staff bearer tokens (HS256, claims sub, tenant, role) on the privacy officer's audit
   * API — the same secret as routing's inbox and analytics' reports.
   */
  AGENT_JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** scheduling's gRPC address (ImportAppointment for EHR-booked appointments). */
  SCHEDULING_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
  /** triage's gRPC address (GetAssessment: the answers behind a TriageOutcome, for QuestionnaireResponse). */
  TRIAGE_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50054'),
  /**
   * CRM pull feed: how long a page waits for a change numbered but not yet stored (another
   * replica between its two writes) before taking the number as lost.
   */
  CRM_PULL_GAP_WAIT_MS: setting.positiveInt(10_000),
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
  /**
   * What the chat may do with results, per tenant, JSON: { "<tenant>": { "rules": [{ "match": "LAB",
   * "release": "document" }, { "match": "GE", "release": "never" }], "otherwise": "announce",
   * "bookingDepartmentId": "general-medicine", "lookbackDays": 180 } }. `match` is a report code or
   * category code (a code wins over a category); release: document | summary | announce | never.
   * A tenant not listed: nothing released, nothing mentioned.
   */
  EHR_RESULTS_POLICY: z
    .string()
    .default('{}')
    .transform((s, ctx): Record<string, ResultsPolicy> => {
      try {
        return z.record(z.string(), resultsPolicy).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of tenant to { rules: [{ match, release }], otherwise, bookingDepartmentId, lookbackDays }' });
        return z.NEVER;
      }
    }),
  /**
   * Public base URL of crm-sync's HTTP port, where released result PDFs are fetched (WhatsApp
   * downloads a document from its link). Empty: no document links — a result the policy releases
   * as a document is only announced.
   */
  EHR_DOCUMENT_BASE_URL: z.union([z.literal(''), z.url()]).default(''),
  /** How long a result PDF's link works. */
  EHR_DOCUMENT_LINK_TTL_MS: setting.positiveInt(60 * 60_000),
  /**
   * Repeat prescriptions per tenant, JSON: { "<tenant>": { "controlledCodes": ["1049621"],
   * "autoApprove": false, "pharmacyDepartment": "pharmacy", "clinicianDepartment": "general",
   * "pharmacyOrganizations": { "madrid-central": "<EHR Organization id>", "*": "..." } }}.
   * Controlled medications always go to a clinician. A tenant not listed: these defaults.
   */
  EHR_REFILL_POLICY: z
    .string()
    .default('{}')
    .transform((s, ctx): Record<string, RefillPolicy> => {
      try {
        return z.record(z.string(), refillPolicy).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of tenant to { controlledCodes, autoApprove, pharmacyDepartment, clinicianDepartment, pharmacyOrganizations }' });
        return z.NEVER;
      }
    }),
  /** How often open refill requests' Tasks are read back from the EHR for their status. */
  EHR_REFILL_POLL_MS: setting.positiveInt(15_000),
  /** Off: no EHR polling in this replica (e.g. a replay-only process). */
  CRM_POLL_ENABLED: setting.boolean(true),
});

export type CrmSyncSettings = z.infer<typeof crmSyncSettings>;
