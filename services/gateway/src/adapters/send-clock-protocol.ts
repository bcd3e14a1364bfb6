/** Messages between the send clock (main thread) and its worker thread. Types only. */
import type { HttpPost, HttpReply, SendSlot } from '../channels/http-transport';

export interface ClockRequest extends HttpPost {
  readonly id: number;
  readonly slot?: SendSlot;
}

export type ClockReply = HttpReply & { readonly id: number };

/** What the worker is started with (its workerData). */
export interface ClockOptions {
  /** The thread's nice value (lower runs sooner), or undefined to leave it as the process's. */
  readonly nice: number | undefined;
}

/** The worker's first message: whether it could take its CPU priority (and why not). */
export interface ClockStarted {
  readonly kind: 'started';
  /** The thread's task id (Linux), when it could be read. */
  readonly tid: number | undefined;
  readonly nice: { readonly wanted: number; readonly refused?: string } | undefined;
}

export type ClockMessage = ClockReply | ClockStarted;
