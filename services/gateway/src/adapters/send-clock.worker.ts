/**
 * The send clock's thread (see send-clock.ts): holds each request until its
 * slot, then POSTs it. Nothing else runs on this event loop, so a timer fires
 * within a millisecond or two of its slot even while the main thread is busy
 * with Kafka batches, protobuf and store writes (measured under the outbound
 * benchmark: main-thread timers p99 17 ms late, max 128 ms; this thread's p99
 * 5 ms, max 45 ms).
 *
 * Self-contained on purpose (Node built-ins only): it is loaded as a worker
 * from source through tsx and as its own bundle in the image.
 */
import { readlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ClockOptions, ClockReply, ClockRequest, ClockStarted } from './send-clock-protocol';

const port: MessagePort = parentPort ?? notAWorker();

function notAWorker(): never {
  throw new Error('send-clock.worker must run as a worker thread');
}

// node:http rather than fetch: a third of the CPU per request, and this thread's idleness is what keeps its timers on time.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

function post(request: ClockRequest): Promise<ClockReply> {
  return new Promise((resolve) => {
    const url = new URL(request.url);
    const client = url.protocol === 'https:' ? https : http;
    const failed = (error: Error & { code?: unknown }) => resolve({ id: request.id, kind: 'network_error', code: typeof error.code === 'string' ? error.code : undefined, name: error.name });
    const req = client.request(
      url,
      { method: 'POST', headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) }, agent: url.protocol === 'https:' ? agents['https:'] : agents['http:'], signal: AbortSignal.timeout(request.timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ id: request.id, kind: 'answered', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', failed);
      },
    );
    req.on('error', failed);
    req.end(request.body);
  });
}

function sendAtSlot(request: ClockRequest): void {
  const go = () => {
    const lateMs = request.slot ? Date.now() - request.slot.at : 0;
    // Late beyond the allowance: not sent, so the caller takes a later slot rather than crowd Meta's rolling second.
    if (request.slot && lateMs > request.slot.maxLatenessMs) {
      port.postMessage({ id: request.id, kind: 'slot_missed', lateMs } satisfies ClockReply);
      return;
    }
    void post(request).then((reply) => port.postMessage(reply));
  };
  const wait = request.slot ? request.slot.at - Date.now() : 0;
  if (wait > 0) setTimeout(go, wait);
  else go();
}

/**
 * Raises this thread's CPU priority (Linux: a nice value per thread, set through its task id).
 * Two cores shared with Kafka, the store and the main thread leave a waking timer waiting for a
 * core: with the priority raised, fewer sends leave late for their slot (docs/gateway.md).
 * Needs CAP_SYS_NICE (root, or a container running as root that is granted it: a non-root pod
 * cannot hold it, so the chart sets SEND_CLOCK_NICE=0); without it the thread keeps the
 * process's priority and says why.
 */
function takePriority(tid: number | undefined, nice: number | undefined): ClockStarted['nice'] {
  if (nice === undefined) return undefined;
  if (tid === undefined) return { wanted: nice, refused: 'no thread id (/proc/thread-self)' };
  try {
    setPriority(tid, nice);
    return { wanted: nice };
  } catch (error) {
    // Node's SystemError carries the errno name (EACCES, EPERM) in info.code.
    const e = error as { info?: { code?: unknown }; code?: unknown };
    return { wanted: nice, refused: typeof e.info?.code === 'string' ? e.info.code : typeof e.code === 'string' ? e.code : 'unknown' };
  }
}

function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined; // not Linux
  }
}

const options = (workerData ?? { nice: undefined }) as ClockOptions;
const tid = threadId();
port.postMessage({ kind: 'started', tid, nice: takePriority(tid, options.nice) } satisfies ClockStarted);
port.on('message', (request: ClockRequest) => sendAtSlot(request));
