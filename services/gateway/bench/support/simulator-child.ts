/**
 * The Cloud API simulator in its own Node.js process for the outbound
 * benchmark. Meta's servers share neither the gateway's event loop nor its
 * CPU; the simulator stamps each send when its own event loop reads it and
 * counts a sliding second of those stamps, so a stall bunches stamps into a
 * burst the gateway never sent. Here it has its own event loop and heap, and
 * the bench raises its CPU priority (see RunSimulator in outbound.ts).
 *
 * Configured by BENCH_SIM_OPTIONS (JSON: secrets, phone numbers, limit,
 * templates); answers over IPC:
 * - `accepted` → `{ type: 'sim-accepted', accepted }` (a counter: the drain loop asks 4 times a
 *   second, and the full stats walk every request so far — ≈ 12 ms at 20,000, a stall that
 *   bunched stamps and drew 130429s)
 * - `report` → `{ type: 'sim-report', stats, sent: [{ phoneNumberId, userKey, acceptedAt }], throttledAt: [ms], loopLagMs: { p99, max }, gc: { count, totalMs, maxMs } }`
 *   (how late its event loop ran, and its GC pauses: a stall there bunches the stamps)
 * Stops on SIGTERM/SIGINT or when the parent goes away.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startSimulator, type SimulatorOptions } from '@careloop/cloud-api-simulator';
import { stopWhenAsked } from '@careloop/testing';

const raw = process.env['BENCH_SIM_OPTIONS'];
if (!raw) {
  process.stderr.write('simulator-child: BENCH_SIM_OPTIONS is required\n');
  process.exit(2);
}
const options = JSON.parse(raw) as SimulatorOptions;
const loopLag = monitorEventLoopDelay({ resolution: 1 });
loopLag.enable();
const gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

startSimulator({
  ...options,
  host: '127.0.0.1',
  port: 0,
  // No webhook URL: statuses would only be dropped; keep their timers out of the measurement.
  statusTiming: { sentMs: 3_600_000, deliveredMs: 3_600_000, readMs: 3_600_000 },
  log: () => undefined,
}).then(
  (sim) => {
    process.on('message', (message: unknown) => {
      if (message === 'accepted') process.send?.({ type: 'sim-accepted', accepted: sim.acceptedMessageCount() });
      if (message === 'report') {
        const sent = sim.sentMessages().map((m) => ({ phoneNumberId: m.phoneNumberId, userKey: m.userKey, acceptedAt: m.acceptedAt }));
        const throttledAt = sim.requests().flatMap((r) => (r.errorCode === 130429 ? [r.at] : []));
        const loopLagMs = { p99: loopLag.percentile(99) / 1e6, max: loopLag.max / 1e6 };
        process.send?.({ type: 'sim-report', stats: sim.stats(), sent, throttledAt, loopLagMs, gc });
      }
    });
    stopWhenAsked('simulator', () => sim.close(), 2_000);
    process.send?.({ type: 'ready', httpPort: Number(new URL(sim.url).port) });
  },
  (error: unknown) => {
    process.stderr.write(`simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
