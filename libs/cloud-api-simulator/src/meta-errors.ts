/**
 * Meta's WhatsApp Cloud API error catalogue, as far as the simulator needs it.
 *
 * Codes, titles and HTTP statuses come from Meta's error-code reference
 * (developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes):
 * throttling errors (4, 80007, 130429, 131048, 131056) are HTTP 400, 131000 is 500, 132001 is 404,
 * 190 is 401. `details` strings marked "observed" were copied from real Cloud API responses quoted in
 * public code; the others are the reference's own description of the code.
 */

/** Graph API error `type`: OAuthException for almost everything the Cloud API returns. */
export type GraphErrorType = 'OAuthException' | 'GraphMethodException';

/** How an error reaches the business: in the HTTP response, or later as a `failed` status webhook. */
export type ErrorDelivery = 'sync' | 'async';

export interface MetaErrorSpec {
  readonly code: number;
  readonly title: string;
  readonly httpStatus: number;
  readonly details?: string;
  readonly subcode?: number;
  readonly type?: GraphErrorType;
  /** Full `error.message`; defaults to `(#code) title`. */
  readonly message?: string;
}

/** A Cloud API error, thrown inside the simulator and rendered as Graph's `{ error: {...} }` body. */
export class MetaError extends Error {
  override readonly name = 'MetaError';
  readonly code: number;
  readonly title: string;
  readonly httpStatus: number;
  readonly details: string | undefined;
  readonly subcode: number | undefined;
  readonly type: GraphErrorType;

  constructor(spec: MetaErrorSpec) {
    super(spec.message ?? `(#${spec.code}) ${spec.title}`);
    this.code = spec.code;
    this.title = spec.title;
    this.httpStatus = spec.httpStatus;
    this.details = spec.details;
    this.subcode = spec.subcode;
    this.type = spec.type ?? 'OAuthException';
  }
}

/** Catalogue entries; `delivery` says how the simulator reports the code when it is injected. */
export const META_ERRORS = {
  unknown: { code: 1, title: 'An unknown error occurred', httpStatus: 500, delivery: 'sync' },
  service: { code: 2, title: 'Service temporarily unavailable', httpStatus: 503, delivery: 'sync' },
  invalidParameter: { code: 100, title: 'Invalid parameter', httpStatus: 400, delivery: 'sync' },
  accessToken: { code: 190, title: 'Invalid OAuth access token - Cannot parse access token', httpStatus: 401, delivery: 'sync' },
  throughput: {
    code: 130429,
    title: 'Rate limit hit',
    httpStatus: 400,
    details: 'Cloud API message throughput has been reached.',
    delivery: 'sync',
  },
  somethingWentWrong: {
    code: 131000,
    title: 'Something went wrong',
    httpStatus: 500,
    details: 'Message failed to send due to an unknown error.',
    delivery: 'sync',
  },
  requiredParameterMissing: { code: 131008, title: 'Required parameter is missing', httpStatus: 400, delivery: 'sync' },
  parameterValueInvalid: { code: 131009, title: 'Parameter value is not valid', httpStatus: 400, delivery: 'sync' },
  serviceUnavailable: {
    code: 131016,
    title: 'Service unavailable',
    httpStatus: 500,
    details: 'A service is temporarily unavailable.',
    delivery: 'sync',
  },
  undeliverable: {
    code: 131026,
    title: 'Message Undeliverable',
    httpStatus: 400,
    details: 'Unable to deliver message.',
    delivery: 'async',
  },
  reengagement: {
    code: 131047,
    title: 'Re-engagement message',
    httpStatus: 400,
    // Observed: the exact text of status_failed_131047.json.
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    delivery: 'async',
  },
  spamRateLimit: {
    code: 131048,
    title: 'Spam rate limit hit',
    httpStatus: 400,
    details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
    delivery: 'sync',
  },
  ecosystemEngagement: {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    httpStatus: 400,
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    delivery: 'async',
  },
  marketingOptOut: {
    code: 131050,
    title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    httpStatus: 400,
    details: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    delivery: 'async',
  },
  unsupportedMessageType: {
    code: 131051,
    title: 'Message type unknown',
    httpStatus: 400,
    details: 'Message type is currently not supported.',
    delivery: 'sync',
  },
  pairRateLimit: {
    code: 131056,
    title: '(Business Account, Consumer Account) pair rate limit hit',
    httpStatus: 400,
    // Observed in a real response relayed by a BSP (docs.ycloud.com, whatsappApiError.error_data.details).
    details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
    delivery: 'sync',
  },
  templateParamCountMismatch: {
    code: 132000,
    title: 'Number of parameters does not match the expected number of params',
    httpStatus: 400,
    delivery: 'sync',
  },
  templateDoesNotExist: {
    code: 132001,
    title: 'Template name does not exist in the translation',
    httpStatus: 404,
    delivery: 'sync',
  },
} as const satisfies Record<string, MetaErrorSpec & { delivery: ErrorDelivery }>;

type CatalogueEntry = (typeof META_ERRORS)[keyof typeof META_ERRORS];

const byCode = new Map<number, CatalogueEntry>(Object.values(META_ERRORS).map((entry) => [entry.code, entry]));

/** The catalogue entry for a code, if the simulator knows it. */
export function knownError(code: number): (MetaErrorSpec & { delivery: ErrorDelivery }) | undefined {
  return byCode.get(code);
}

/** Builds a catalogued error with call-specific details. */
export function metaError(entry: MetaErrorSpec, details?: string): MetaError {
  return new MetaError({ ...entry, details: details ?? entry.details });
}

/** Graph's error body. Cloud API errors carry `error_data.details`; plain Graph errors do not. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: GraphErrorType;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

export function graphErrorBody(error: MetaError, fbtraceId: string): GraphErrorBody {
  return {
    error: {
      message: error.message,
      type: error.type,
      code: error.code,
      ...(error.subcode !== undefined ? { error_subcode: error.subcode } : {}),
      ...(error.details !== undefined ? { error_data: { messaging_product: 'whatsapp' as const, details: error.details } } : {}),
      fbtrace_id: fbtraceId,
    },
  };
}

/** The `errors[]` item of a failed status webhook (shape of status_failed_131047.json). */
export interface WebhookError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
}

/**
 * Status errors repeat the title as `message` (Meta: "This value is the same as the title property
 * value"); account-level `value.errors` carry the `(#code) title` form (account_error_130429.json).
 */
export function webhookError(error: MetaError, style: 'status' | 'account' = 'status'): WebhookError {
  return {
    code: error.code,
    title: error.title,
    message: style === 'status' ? error.title : error.message,
    error_data: { details: error.details ?? error.title },
  };
}
