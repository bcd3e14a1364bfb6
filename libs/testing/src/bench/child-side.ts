/**
 * The child's half of BenchChild: stop once, on SIGTERM, SIGINT or when the
 * parent's IPC channel closes (the bench is gone), by running `stop`; exit 0
 * when it finished, 1 when it failed or outlasted `timeoutMs`.
 */
export function stopWhenAsked(name: string, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), timeoutMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name} shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('disconnect', onSignal);
}
