/** Messages between the send clock (main thread) and its worker thread. Types only. */
import type { HttpPost, HttpReply, SendSlot } from '../channels/http-transport';

export interface ClockRequest extends HttpPost {
  readonly id: number;
  readonly slot?: SendSlot;
}

export type ClockReply = HttpReply & { readonly id: number };
