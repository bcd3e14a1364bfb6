/**
 * The gateway as the benchmarks run it: its real composition root
 * (`gatewayService`, configured from the environment like src/main.ts), but
 * listening on 127.0.0.1 only, on the ports the environment names (0 = any
 * free one), telling the parent its ports over IPC, and stopping gracefully
 * on SIGTERM/SIGINT or when the parent goes away (IPC channel closed).
 *
 * Diagnostics for --profile, driven by the parent over IPC so that they cover
 * the measured stretch only (not start-up, not shutdown):
 * - BENCH_DB_TIMINGS=1 (with `monitorCommands=true` in MONGODB_URI): every
 *   MongoDB command timed by command and collection (`db-timings:reset`,
 *   `db-timings:report`);
 * - BENCH_PROFILE_DIR: a V8 CPU profile through the inspector
 *   (`profile:start`, `profile:stop` → `{ type: 'profile', file }`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { startService } from '@careloop/service-kit';
import { MongoCommandMonitor, stopWhenAsked, type MongoCommand } from '@careloop/testing';
import { gatewayService } from '../../src/service';
import type { DbTiming } from './diagnostics';

/** `find inbound_receipts`, `ping`, `insert message_log (failed)`. */
const timingKey = (c: MongoCommand) => `${c.collection === undefined ? c.command : `${c.command} ${c.collection}`}${c.ok ? '' : ' (failed)'}`;

startService(gatewayService, { host: '127.0.0.1' }).then(
  (running) => {
    stopWhenAsked('gateway', () => running.stop(), running.context.config.SHUTDOWN_TIMEOUT_MS);

    const mongo = running.context.mongo;
    if (process.env['BENCH_DB_TIMINGS'] === '1' && mongo) {
      const db = new MongoCommandMonitor({ key: timingKey });
      db.attach(mongo.getClient());
      process.on('message', (message: unknown) => {
        if (message === 'db-timings:reset') db.reset();
        if (message === 'db-timings:report') {
          const timings: DbTiming[] = db.ranked().map(({ key, count, totalMs, maxMs }) => ({ command: key, count, totalMs, maxMs }));
          process.send?.({ type: 'db-timings', timings });
        }
      });
    }
    const profileDir = process.env['BENCH_PROFILE_DIR'];
    if (profileDir) {
      const session = new Session();
      session.connect();
      const post = (method: string, params?: object) =>
        new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
      process.on('message', (message: unknown) => {
        if (message === 'profile:start') void post('Profiler.enable').then(() => post('Profiler.start'));
        if (message === 'profile:stop') {
          post('Profiler.stop').then(
            (result) => {
              const file = join(profileDir, `gateway-${Date.now()}.cpuprofile`);
              writeFileSync(file, JSON.stringify((result as { profile: unknown }).profile));
              process.send?.({ type: 'profile', file });
            },
            (error: unknown) => process.send?.({ type: 'profile', file: '', error: error instanceof Error ? error.message : String(error) }),
          );
        }
      });
    }
    process.send?.({ type: 'ready', httpPort: running.httpPort ?? 0, opsPort: running.opsPort });
  },
  (error: unknown) => {
    process.stderr.write(`gateway failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  },
);
