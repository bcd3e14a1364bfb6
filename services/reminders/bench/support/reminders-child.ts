/**
 * The reminders service as the benchmark runs it: its real composition root, configured from the
 * environment like src/main.ts, on 127.0.0.1, telling the parent its ops port over IPC and
 * stopping when asked or when the parent goes away.
 */
import { startService } from '@careloop/service-kit';
import { remindersService } from '../../src/service';

startService(remindersService, { host: '127.0.0.1' }).then(
  (running) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => process.exit(1), running.context.config.SHUTDOWN_TIMEOUT_MS).unref();
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('disconnect', stop);
    process.send?.({ type: 'ready', httpPort: 0, opsPort: running.opsPort });
  },
  (error: unknown) => {
    process.stderr.write(`reminders failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
