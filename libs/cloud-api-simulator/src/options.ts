import type { TemplateDefinition } from './graph-api/templates';

/** A business phone number registered on the simulated WhatsApp Business Account. */
export interface BusinessPhoneNumber {
  /** The id used in `POST /{version}/{phone-number-id}/messages`. */
  readonly id: string;
  /** As shown to users; webhooks carry its digits only (e.g. `+1 555 000 0001` → `15550000001`). */
  readonly displayPhoneNumber: string;
  /** WhatsApp Business Account id (`entry[].id` of webhooks); defaults to the simulator's `wabaId`. */
  readonly wabaId?: string;
}

/**
 * Meta's pair rate limit: "1 message every 6 seconds to the same WhatsApp user... You may send up to
 * 45 messages in a 6-second burst, but this borrows from your future quota. After a burst, you must wait
 * the equivalent time it would take to send those messages at the normal rate" (WhatsApp Business
 * Platform, "About the platform" → Pair rate limits).
 */
export interface PairRateLimitOptions {
  /** Normal spacing between two messages to one user. Default 6000 ms. */
  readonly intervalMs: number;
  /** Messages allowed inside one burst window. Default 45. */
  readonly burst: number;
  /** Length of a burst window, counted from its first message. Default 6000 ms. */
  readonly burstWindowMs: number;
}

export interface StatusTimingOptions {
  /** Delay after acceptance before the `sent` (or `failed`) status. */
  readonly sentMs: number;
  /** Delay after acceptance before `delivered`, when the patient sees the message. */
  readonly deliveredMs: number;
  /** Delay after delivery before an automatic `read` (only with `autoRead`). */
  readonly readMs: number;
}

export interface WebhookRetryOptions {
  /** Total attempts per webhook, the first included. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Per-attempt timeout; a receiver slower than this counts as a failed attempt. */
  readonly timeoutMs: number;
}

export interface MessengerOptions {
  /** Facebook Page id: `entry[].id` and `recipient.id` of Messenger webhooks. */
  readonly pageId: string;
  readonly webhookUrl?: string;
  /** Accepted in addition to `accessToken` on the Send API. */
  readonly pageAccessToken?: string;
}

export interface SimulatorOptions {
  /** Interface to bind; default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** The bearer token the Graph API accepts. */
  readonly accessToken?: string;
  /** App secret used to sign webhooks (`X-Hub-Signature-256`). */
  readonly appSecret?: string;
  /** Token sent in the `hub.verify_token` of the subscription handshake. */
  readonly verifyToken?: string;
  /** Where WhatsApp webhooks go; may be set later with `setWebhookUrl`. */
  readonly webhookUrl?: string;
  readonly wabaId?: string;
  readonly phoneNumbers?: readonly BusinessPhoneNumber[];
  /** Messages per second per phone number before 130429. Meta's default is 80 mps. */
  readonly throughputPerSecond?: number;
  /** `false` disables the pair rate limit (131056). */
  readonly pairRateLimit?: Partial<PairRateLimitOptions> | false;
  /** Approved templates; Meta's `hello_world` sample is always present. */
  readonly templates?: readonly TemplateDefinition[];
  /** Customer service window; Meta's is 24 hours from the user's last message. */
  readonly customerServiceWindowMs?: number;
  readonly statusTiming?: Partial<StatusTimingOptions>;
  /** Patients read every delivered message after `statusTiming.readMs`. Default false. */
  readonly autoRead?: boolean;
  /** A patient who writes has read what was delivered before (read receipts are sent). Default true. */
  readonly readOnReply?: boolean;
  readonly webhookRetry?: Partial<WebhookRetryOptions>;
  /** Also report 130429 as an account-level `value.errors` webhook (account_error_130429.json). Default false. */
  readonly reportThroughputErrorsByWebhook?: boolean;
  readonly messenger?: MessengerOptions;
  /** Clock in epoch milliseconds; tests move it to cross the 24-hour window. */
  readonly now?: () => number;
  /** Receives one line per notable event (requests, webhook failures). */
  readonly log?: (line: string) => void;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly webhookUrl: string | undefined;
  readonly wabaId: string;
  readonly phoneNumbers: readonly BusinessPhoneNumber[];
  readonly throughputPerSecond: number;
  readonly pairRateLimit: PairRateLimitOptions | false;
  readonly templates: readonly TemplateDefinition[];
  readonly customerServiceWindowMs: number;
  readonly statusTiming: StatusTimingOptions;
  readonly autoRead: boolean;
  readonly readOnReply: boolean;
  readonly webhookRetry: WebhookRetryOptions;
  readonly reportThroughputErrorsByWebhook: boolean;
  readonly messenger: MessengerOptions | undefined;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export const DEFAULT_PHONE_NUMBER: BusinessPhoneNumber = { id: '1000001', displayPhoneNumber: '+1 555 000 0001' };
export const DEFAULT_PAIR_RATE_LIMIT: PairRateLimitOptions = { intervalMs: 6_000, burst: 45, burstWindowMs: 6_000 };
const DAY_MS = 24 * 60 * 60 * 1000;

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const phoneNumbers = options.phoneNumbers && options.phoneNumbers.length > 0 ? options.phoneNumbers : [DEFAULT_PHONE_NUMBER];
  const ids = new Set(phoneNumbers.map((p) => p.id));
  if (ids.size !== phoneNumbers.length) throw new Error('cloud-api-simulator: phone number ids must be unique');
  const throughput = options.throughputPerSecond ?? 80;
  if (!Number.isFinite(throughput) || throughput <= 0) throw new Error('cloud-api-simulator: throughputPerSecond must be positive');
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    accessToken: options.accessToken ?? 'sim-access-token',
    appSecret: options.appSecret ?? 'sim-app-secret',
    verifyToken: options.verifyToken ?? 'sim-verify-token',
    webhookUrl: options.webhookUrl,
    wabaId: options.wabaId ?? '102290129340398',
    phoneNumbers,
    throughputPerSecond: throughput,
    pairRateLimit: options.pairRateLimit === false ? false : { ...DEFAULT_PAIR_RATE_LIMIT, ...options.pairRateLimit },
    templates: options.templates ?? [],
    customerServiceWindowMs: options.customerServiceWindowMs ?? DAY_MS,
    statusTiming: { sentMs: 5, deliveredMs: 20, readMs: 300, ...options.statusTiming },
    autoRead: options.autoRead ?? false,
    readOnReply: options.readOnReply ?? true,
    webhookRetry: { maxAttempts: 5, initialDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 10_000, ...options.webhookRetry },
    reportThroughputErrorsByWebhook: options.reportThroughputErrorsByWebhook ?? false,
    messenger: options.messenger,
    now: options.now ?? Date.now,
    log: options.log ?? (() => undefined),
  };
}

/** Webhooks carry the display number's digits only (`display_phone_number: "34910000001"`). */
export function displayDigits(phone: BusinessPhoneNumber): string {
  return phone.displayPhoneNumber.replace(/\D/g, '');
}
