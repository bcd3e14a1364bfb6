/**
 * Preloaded (`--require`) into bench children (see BenchChild): when the bench
 * process is gone (killed, crashed) the child is re-parented, notices within a
 * second and stops itself gracefully (SIGTERM, then exit after 25 s), so that
 * no child outlives its benchmark.
 */
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 25_000).unref();
}, 1_000);
watch.unref();

export {};
