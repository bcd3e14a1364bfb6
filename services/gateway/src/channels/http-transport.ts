/**
 * How a channel adapter's requests reach the channel: the port the send clock
 * (adapters/send-clock.ts) implements. Adapters build and interpret requests;
 * the transport decides when they leave.
 */

/** When a request must leave: at `at` (epoch ms), and not at all if later than `maxLatenessMs` after it. */
export interface SendSlot {
  readonly at: number;
  readonly maxLatenessMs: number;
}

/** One HTTP POST (body already JSON text). */
export interface HttpPost {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** The answer; `slot_missed` means nothing was sent. */
export type HttpReply =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  | { readonly kind: 'network_error'; readonly code: string | undefined; readonly name: string }
  | { readonly kind: 'slot_missed'; readonly lateMs: number };

export interface HttpTransport {
  post(request: HttpPost, slot?: SendSlot): Promise<HttpReply>;
}
