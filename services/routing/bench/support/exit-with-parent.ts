/**
 * Preloaded (`--require`) into every bench child: when the bench process is
 * gone (killed, crashed) the child is re-parented, notices within a second and
 * stops itself gracefully, so that no routing or relay outlives its benchmark.
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
