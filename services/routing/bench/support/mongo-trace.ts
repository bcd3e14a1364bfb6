/**
 * Preloaded (`--require`) into the routing child of the profiling run only:
 * every MongoDB command the service's connection sends is counted (by
 * collection and command) and timed, through the driver's command monitoring.
 * On SIGUSR2 the child writes what happened since the previous SIGUSR2 as one
 * stderr line: `TRACE_MARKER` + JSON (a `TraceSnapshot`).
 */
import mongoose, { type ConnectOptions, type Connection, type mongo } from 'mongoose';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TRACE_MARKER, type TraceSnapshot, type TracedCommand } from './trace';

const LOG_LIMIT = 400;
let counters: TraceSnapshot['counters'] = {};
let log: TracedCommand[] = [];
let dropped = 0;
const started = new Map<number | string, { at: number; command: string; collection: string }>();

const now = () => performance.timeOrigin + performance.now();

function collectionOf(event: mongo.CommandStartedEvent): string {
  const target: unknown = (event.command as Record<string, unknown>)[event.commandName];
  return typeof target === 'string' ? target : '-';
}

function finished(requestId: number | string, ms: number, ok: boolean): void {
  const start = started.get(requestId);
  if (!start) return;
  started.delete(requestId);
  const key = `${start.collection}.${start.command}`;
  const c = (counters[key] ??= { count: 0, totalMs: 0, maxMs: 0 });
  c.count++;
  c.totalMs += ms;
  c.maxMs = Math.max(c.maxMs, ms);
  if (log.length < LOG_LIMIT) log.push({ at: start.at, command: start.command, collection: start.collection, ms, ok });
  else dropped++;
}

function attach(client: mongo.MongoClient): void {
  client.on('commandStarted', (event) => {
    started.set(event.requestId, { at: now(), command: event.commandName, collection: collectionOf(event) });
  });
  client.on('commandSucceeded', (event) => finished(event.requestId, event.duration, true));
  client.on('commandFailed', (event) => finished(event.requestId, event.duration, false));
}

const createConnection = mongoose.createConnection.bind(mongoose) as (uri: string, options?: ConnectOptions) => Connection;
Reflect.set(mongoose, 'createConnection', (uri: string, options?: ConnectOptions) => {
  const connection = createConnection(uri, { ...options, monitorCommands: true });
  connection.asPromise().then(
    (open) => attach(open.getClient()),
    () => undefined, // the service reports its own connection errors
  );
  return connection;
});

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let elu = performance.eventLoopUtilization();
let cpu = process.cpuUsage();

process.on('SIGUSR2', () => {
  const nextElu = performance.eventLoopUtilization();
  const spent = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  const snapshot: TraceSnapshot = {
    hrtimeUs: Number(process.hrtime.bigint() / 1_000n),
    wallMs: now(),
    eventLoopUtilization: performance.eventLoopUtilization(nextElu, elu).utilization,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    cpuSeconds: (spent.user + spent.system) / 1e6,
    counters,
    log,
    logDropped: dropped,
  };
  process.stderr.write(`${TRACE_MARKER}${JSON.stringify(snapshot)}\n`);
  elu = nextElu;
  delay.reset();
  counters = {};
  log = [];
  dropped = 0;
});
