/**
 * Preloaded (`--require`) into the routing child of the profiling run only:
 * every MongoDB command the service's connection sends is counted (by
 * collection and command) and timed, through the driver's command monitoring.
 * On SIGUSR2 the child writes what happened since the previous SIGUSR2 as one
 * stderr line: `TRACE_MARKER` + JSON (a `TraceSnapshot`).
 */
import mongoose, { type ConnectOptions, type Connection } from 'mongoose';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MongoCommandMonitor } from '@careloop/testing';
import { TRACE_MARKER, type TraceSnapshot } from './trace';

const monitor = new MongoCommandMonitor({ logLimit: 400 });

const createConnection = mongoose.createConnection.bind(mongoose) as (uri: string, options?: ConnectOptions) => Connection;
Reflect.set(mongoose, 'createConnection', (uri: string, options?: ConnectOptions) => {
  const connection = createConnection(uri, { ...options, monitorCommands: true });
  connection.asPromise().then(
    (open) => monitor.attach(open.getClient()),
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
  const commands = monitor.take();
  const snapshot: TraceSnapshot = {
    hrtimeUs: Number(process.hrtime.bigint() / 1_000n),
    wallMs: performance.timeOrigin + performance.now(),
    eventLoopUtilization: performance.eventLoopUtilization(nextElu, elu).utilization,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    cpuSeconds: (spent.user + spent.system) / 1e6,
    counters: commands.totals,
    log: commands.log,
    logDropped: commands.logDropped,
  };
  process.stderr.write(`${TRACE_MARKER}${JSON.stringify(snapshot)}\n`);
  elu = nextElu;
  delay.reset();
});
