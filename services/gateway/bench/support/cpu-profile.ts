import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled milliseconds, idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Where the CPU went, by package / area: self time, and time with the area anywhere on the stack. */
  readonly areas: readonly { area: string; selfMs: number; totalMs: number }[];
  readonly functions: readonly { fn: string; selfMs: number }[];
}

/** The newest .cpuprofile in `dir`, or undefined. */
export function newestProfile(dir: string): string | undefined {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    const last = files[files.length - 1];
    return last ? join(dir, last) : undefined;
  } catch {
    return undefined;
  }
}

/** The package or code area a frame belongs to. */
function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, unattributed)';
    return `(native) ${functionName}`;
  }
  if (url.startsWith('node:')) return 'node: core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib?.[1]) return `@careloop/${lib[1]}`;
  const gateway = /\/services\/gateway\/(.+)$/.exec(url);
  if (gateway?.[1]) return `gateway: ${gateway[1]}`;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const repo = /\/(libs|services)\/(.+)$/.exec(url);
  return repo ? `${repo[1] ?? ''}/${repo[2] ?? ''}` : url;
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));

  const areaSelf = new Map<string, number>();
  const areaTotal = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    if (area === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'}${url ? `  ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + ms);
    // Inclusive: every distinct area on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const a = areaOf(frame.url, frame.functionName);
      if (seen.has(a)) continue;
      seen.add(a);
      areaTotal.set(a, (areaTotal.get(a) ?? 0) + ms);
    }
  }
  const areas = [...areaSelf.keys(), ...[...areaTotal.keys()].filter((a) => !areaSelf.has(a))]
    .map((area) => ({ area, selfMs: areaSelf.get(area) ?? 0, totalMs: areaTotal.get(area) ?? 0 }))
    .sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs)
    .slice(0, top);
  const functions = [...fnSelf]
    .map(([fn, ms]) => ({ fn, selfMs: ms }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
  return { file, busyMs, idleMs, areas, functions };
}

export function printProfile(summary: ProfileSummary): void {
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, summary.busyMs)).toFixed(1).padStart(5)}%`;
  console.log(`  CPU profile of the gateway: ${summary.file}`);
  console.log(`    busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s (open it in Chrome DevTools or speedscope for the call tree)`);
  console.log('    by area (self = in its own code; on-stack = its code or anything it called synchronously):');
  for (const a of summary.areas) console.log(`      ${pct(a.selfMs)} self  ${pct(a.totalMs)} on-stack  ${a.area}`);
  console.log('    hottest functions (self time):');
  for (const f of summary.functions) console.log(`      ${pct(f.selfMs)}  ${f.fn}`);
}
