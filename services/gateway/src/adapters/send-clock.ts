import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { HttpPost, HttpReply, HttpTransport, SendSlot } from '../channels/http-transport';
import type { ClockMessage, ClockOptions, ClockRequest, ClockStarted } from './send-clock-protocol';

const tracer = trace.getTracer('@careloop/gateway');

/**
 * Sends to the channel from a thread of their own, each at its reserved slot.
 *
 * At 1,000 sends/s a slot is a millisecond wide, and Meta counts a rolling
 * second: a send that leaves late lands beside the next slots' sends. On the
 * main thread every timer is as late as the longest piece of synchronous work
 * before it (a Kafka batch decoded, protobuf, a store reply), and late sends
 * had to give their slot up — 12–15% of them in the outbound benchmark, each
 * slot lost. Here the main thread hands the request over as soon as its claim
 * is written, and the worker's otherwise idle event loop sends it on time.
 *
 * If the worker dies, requests in flight answer as network errors without a
 * code (retry class `unknown`: they may have left, so they are not resent) and
 * the next request starts a new worker.
 */
export class SendClock implements HttpTransport {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: HttpReply) => void>();
  private closed = false;

  /**
   * `onWorkerError`: the worker thread failed (it is replaced on the next send). `nice`: the
   * thread's CPU priority (SEND_CLOCK_NICE); `onStarted` hears whether it could take it.
   */
  constructor(
    private readonly onWorkerError: (error: Error) => void = () => undefined,
    private readonly options: ClockOptions & { readonly onStarted?: (started: ClockStarted) => void } = { nice: undefined },
  ) {}

  post(request: HttpPost, slot?: SendSlot): Promise<HttpReply> {
    if (this.closed) return Promise.resolve({ kind: 'network_error', code: 'ECONNREFUSED', name: 'SendClockClosed' });
    const id = this.nextId++;
    const url = new URL(request.url);
    // The client span the undici instrumentation made when sends left from the main thread.
    return tracer.startActiveSpan(`POST ${url.pathname}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'server.address': url.hostname } }, (span) =>
      new Promise<HttpReply>((resolve) => {
        this.pending.set(id, resolve);
        this.ensureWorker().postMessage({ id, ...request, ...(slot ? { slot } : {}) } satisfies ClockRequest);
      }).then((reply) => {
        if (reply.kind === 'answered') {
          span.setAttribute('http.response.status_code', reply.status);
          if (reply.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (reply.kind === 'network_error') span.setStatus({ code: SpanStatusCode.ERROR, message: reply.code ?? reply.name });
        else span.setAttribute('careloop.slot_missed_ms', reply.lateMs);
        span.end();
        return reply;
      }),
    );
  }

  /** Starts the thread before the first send needs it (loading it takes tens of milliseconds). */
  async start(): Promise<void> {
    const worker = this.ensureWorker();
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
  }

  /** After the consumers have drained: nothing is in flight any more. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failPending('SendClockClosed');
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const [entry, workerOptions] = workerEntry();
    const worker = new Worker(entry, { ...workerOptions, workerData: { nice: this.options.nice } satisfies ClockOptions });
    worker.unref(); // never what keeps the process alive: shutdown closes it
    worker.on('message', (reply: ClockMessage) => {
      if (reply.kind === 'started') {
        this.options.onStarted?.(reply);
        return;
      }
      const resolve = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      resolve?.(reply);
    });
    const lost = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failPending('SendClockExited');
    };
    worker.on('error', (error) => {
      this.onWorkerError(error);
      lost();
    });
    worker.on('exit', lost);
    this.worker = worker;
    return worker;
  }

  private failPending(name: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of waiting) resolve({ kind: 'network_error', code: undefined, name });
  }
}

/** The bundled worker beside main.js in the image; from source, the TypeScript file through tsx. */
function workerEntry(): [string, { execArgv?: string[] }] {
  const bundled = join(__dirname, 'send-clock.worker.js');
  if (existsSync(bundled)) return [bundled, {}];
  // Only tsx's CommonJS hook: the parent's own flags (tsx's ESM loader, OTel's preload) do not load a .ts worker.
  return [join(__dirname, 'send-clock.worker.ts'), { execArgv: ['--require', require.resolve('tsx/cjs')] }];
}
