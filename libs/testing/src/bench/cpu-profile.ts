import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../infra';

/** Where a sampled function is: a V8 .cpuprofile call frame. */
export interface CpuProfileFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
}

/** The parts of a V8 .cpuprofile (`node --cpu-prof`, or the inspector's Profiler.stop) read here. */
interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: CpuProfileFrame; children?: readonly number[] }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface CpuProfileSummary {
  readonly file: string;
  /** Sampled milliseconds (in the window), idle included. */
  readonly totalMs: number;
  /** Of which not idle. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** True when no window was asked for, or it held no sample and the whole profile (start-up included) is summarised. */
  readonly wholeProfile: boolean;
  /**
   * Where the CPU went by code area (package, library, service, Node.js, V8),
   * idle left out, most self time first: self = in the area's own code;
   * on-stack = the area's code or anything it called synchronously.
   */
  readonly areas: readonly { area: string; selfMs: number; totalMs: number }[];
  /** The `top` functions by self time, idle left out. */
  readonly functions: readonly { name: string; where: string; area: string; selfMs: number }[];
}

export interface CpuProfileSummaryOptions {
  /** Only the samples between two process.hrtime readings in µs (the profile's own clock): leaves out start-up and shutdown. */
  readonly window?: { readonly fromUs: number; readonly toUs: number };
  /** Functions kept. Default 15. */
  readonly top?: number;
  /** Names a frame's area before the default rules (`cpuProfileArea`) do; undefined leaves it to them. */
  readonly areaOf?: (frame: CpuProfileFrame) => string | undefined;
}

const IDLE = '(idle)';

/** The newest .cpuprofile in `dir`, or undefined (also when `dir` does not exist). */
export function newestCpuProfile(dir: string): string | undefined {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    const last = files[files.length - 1];
    return last ? join(dir, last) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The code area a frame belongs to: an npm package, `@careloop/<lib>`, the
 * service under `services/<name>/`, `node internals`, V8's own entries
 * ((garbage collector), (program: ...), (idle)) or `(native) <function>`.
 */
export function cpuProfileArea(frame: CpuProfileFrame): string {
  const { functionName, url } = frame;
  if (!url) {
    if (functionName === '(garbage collector)' || functionName === IDLE || functionName === '(root)') return functionName;
    if (functionName === '(program)') return '(program: native, unattributed)';
    return `(native) ${functionName}`;
  }
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib?.[1]) return `@careloop/${lib[1]}`;
  const service = /\/services\/([^/]+)\//.exec(url);
  if (service?.[1]) return service[1];
  return url.replace(/^file:\/\//, '');
}

/** A frame's file for a report: inside its package, or relative to the repository. */
export function shortCpuProfileUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const path = url.replace(/^file:\/\//, '');
  const root = `${repoRoot()}/`;
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/**
 * Self time per function and per area, and on-stack time per area, of a
 * .cpuprofile. A sample stands for the time until the next one (as in Chrome
 * DevTools).
 */
export function summariseCpuProfile(file: string, options: CpuProfileSummaryOptions = {}): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaCache = new Map<number, string>();
  const areaOf = (id: number): string | undefined => {
    const known = areaCache.get(id);
    if (known !== undefined) return known;
    const frame = frames.get(id);
    if (!frame) return undefined;
    const area = options.areaOf?.(frame) ?? cpuProfileArea(frame);
    areaCache.set(id, area);
    return area;
  };

  // Self time per node (µs).
  const selfUs = new Map<number, number>();
  const collect = (window: CpuProfileSummaryOptions['window']) => {
    selfUs.clear();
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (window && (t < window.fromUs || t > window.toUs)) continue;
      const id = profile.samples[i] ?? -1;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
    }
  };
  collect(options.window);
  let wholeProfile = options.window === undefined;
  if (selfUs.size === 0 && !wholeProfile) {
    collect(undefined);
    wholeProfile = true;
  }

  const byFunction = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areaSelf = new Map<string, number>();
  const areaTotal = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    const area = areaOf(id);
    if (!frame || area === undefined) continue;
    totalUs += us;
    if (area === IDLE) {
      idleUs += us;
      continue;
    }
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + us);
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortCpuProfileUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, area, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    // On-stack: every distinct area on the sample's stack gets it once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (frames.get(cur)?.functionName === '(root)') continue;
      const a = areaOf(cur);
      if (a === undefined || seen.has(a)) continue;
      seen.add(a);
      areaTotal.set(a, (areaTotal.get(a) ?? 0) + us);
    }
  }
  const areas = [...new Set([...areaSelf.keys(), ...areaTotal.keys()])]
    .map((area) => ({ area, selfMs: (areaSelf.get(area) ?? 0) / 1000, totalMs: (areaTotal.get(area) ?? 0) / 1000 }))
    .sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs);
  const functions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, options.top ?? 15)
    .map((f) => ({ name: f.name, where: f.where, area: f.area, selfMs: f.us / 1000 }));
  return { file, totalMs: totalUs / 1000, busyMs: (totalUs - idleUs) / 1000, idleMs: idleUs / 1000, wholeProfile, areas, functions };
}

/** Prints a summary: areas (self and on-stack) and the hottest functions, in % of the busy time. */
export function printCpuProfileSummary(summary: CpuProfileSummary, subject: string, top = 15): void {
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, summary.busyMs)).toFixed(1).padStart(5)}%`;
  console.log(`  CPU profile of ${subject}: ${summary.file}`);
  console.log(`    busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s (open it in Chrome DevTools or speedscope for the call tree)`);
  console.log('    by area (self = in its own code; on-stack = its code or anything it called synchronously):');
  for (const a of summary.areas.slice(0, top)) console.log(`      ${pct(a.selfMs)} self  ${pct(a.totalMs)} on-stack  ${a.area}`);
  console.log('    hottest functions (self time):');
  for (const f of summary.functions.slice(0, top)) console.log(`      ${pct(f.selfMs)}  ${f.name}${f.where ? `  ${f.where}` : ''}`);
}
