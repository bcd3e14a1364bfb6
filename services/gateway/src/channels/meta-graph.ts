import type { RetryClass, SendOutcome } from './channel-adapter';
import type { HttpTransport, SendSlot } from './http-transport';

/**
 * Meta Graph API error codes that mean "slow down" or "try again later"; every
 * other error of a 4xx answer is permanent for that message (bad parameter,
 * window closed, user unreachable...). Sources: Cloud API "Error codes"
 * reference and the throughput / pair-rate-limit pages.
 */
const THROTTLING = new Set([
  4, // API calls too many (app-level)
  80007, // WABA rate limit
  130429, // Cloud API throughput reached
  131056, // (business, consumer) pair rate limit
  131048, // spam rate limit
]);
const TRANSIENT = new Set([
  1, // API unknown
  2, // API service temporarily unavailable
  131000, // something went wrong
  131016, // service unavailable
  133004, // server temporarily unavailable
]);

export function classifyMetaError(httpStatus: number, code: number): RetryClass {
  if (THROTTLING.has(code) || httpStatus === 429) return 'throttled';
  if (TRANSIENT.has(code) || httpStatus >= 500) return 'transient';
  return 'permanent';
}

const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface GraphErrorBody {
  error?: { code?: number; message?: string; error_user_title?: string; error_data?: { details?: string } };
}

export interface GraphPost {
  readonly url: string;
  readonly accessToken: string;
  readonly body: unknown;
  readonly timeoutMs: number;
  /** Picks the channel's message id out of a success body. */
  readonly messageIdOf: (json: unknown) => string | undefined;
}

/**
 * One POST to the Graph API through `transport` (at `slot` when given), its answer reduced to
 * accepted / rejected with a retry class, or `slot_missed` when it was not sent at all.
 */
export async function postToGraph(request: GraphPost, transport: HttpTransport, slot?: SendSlot): Promise<SendOutcome> {
  const reply = await transport.post(
    { url: request.url, headers: { 'content-type': 'application/json', authorization: `Bearer ${request.accessToken}` }, body: JSON.stringify(request.body), timeoutMs: request.timeoutMs },
    slot,
  );
  if (reply.kind === 'slot_missed') return reply;
  if (reply.kind === 'network_error') {
    // Refused before connecting: Meta never saw it, retry is safe. A timeout or
    // reset after sending: Meta may have the message, so no blind retry.
    const neverSent = reply.code !== undefined && NOT_CONNECTED.has(reply.code);
    return { kind: 'rejected', retry: neverSent ? 'transient' : 'unknown', httpStatus: 0, code: 0, title: 'network error', details: reply.code ?? reply.name };
  }
  const json = parseJson(reply.body);
  if (reply.status >= 200 && reply.status < 300) {
    const messageId = request.messageIdOf(json);
    if (messageId) return { kind: 'accepted', messageId };
    return { kind: 'rejected', retry: 'transient', httpStatus: reply.status, code: 0, title: 'answer without a message id', details: '' };
  }
  const error = (json as GraphErrorBody | undefined)?.error;
  const code = error?.code ?? 0;
  return {
    kind: 'rejected',
    retry: classifyMetaError(reply.status, code),
    httpStatus: reply.status,
    code,
    title: error?.error_user_title ?? error?.message ?? `HTTP ${reply.status}`,
    details: error?.error_data?.details ?? '',
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
