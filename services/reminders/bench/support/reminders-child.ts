/**
 * The reminders service as the benchmark runs it: its real composition root, configured from the
 * environment like src/main.ts, on 127.0.0.1, telling the parent its ops port over IPC and
 * stopping when asked or when the parent goes away.
 */
import { startService } from '@careloop/service-kit';
import { stopWhenAsked } from '@careloop/testing';
import { remindersService } from '../../src/service';

startService(remindersService, { host: '127.0.0.1' }).then(
  (running) => {
    stopWhenAsked('reminders', () => running.stop(), running.context.config.SHUTDOWN_TIMEOUT_MS);
    process.send?.({ type: 'ready', httpPort: 0, opsPort: running.opsPort });
  },
  (error: unknown) => {
    process.stderr.write(`reminders failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
