import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) read here. */
interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly area: string;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled time inside the window, and the part of it that was not idle. */
  readonly totalMs: number;
  readonly busyMs: number;
  /** True when the window could not be applied and the whole profile (start-up included) is shown. */
  readonly wholeProfile: boolean;
  readonly functions: readonly SelfTime[];
  readonly areas: readonly { area: string; ms: number }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Who a frame belongs to: routing, one of our libraries, a package, Node.js itself, V8. */
function areaOf(functionName: string, url: string): string {
  if (SPECIAL.has(functionName)) return functionName;
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib?.[1]) return `@careloop/${lib[1]}`;
  if (url.includes('/services/routing/')) return 'routing';
  return url ? 'other' : 'V8 builtins / native';
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + '/node_modules/'.length);
  const j = url.indexOf('/work/');
  return (j >= 0 ? url.slice(url.indexOf('/', j + 6) + 1) : url).replace(/^file:\/\//, '');
}

/** The newest .cpuprofile in `dir`. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const last = files[files.length - 1];
  return last ? join(dir, last) : undefined;
}

/**
 * Self time per function (and per area) of the samples taken between two
 * process.hrtime readings (µs) — the profile's own clock — so that start-up
 * (tsx compiling the sources) and shutdown are left out.
 */
export function summariseProfile(file: string, window: { fromUs: number; toUs: number } | undefined, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  const collect = (bounded: boolean) => {
    selfUs.clear();
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      // A sample stands for the time until the next one.
      const span = profile.timeDeltas[i + 1] ?? 0;
      if (bounded && window && (t < window.fromUs || t > window.toUs)) continue;
      const id = profile.samples[i] ?? -1;
      selfUs.set(id, (selfUs.get(id) ?? 0) + span);
    }
  };
  collect(true);
  let wholeProfile = window === undefined;
  if (selfUs.size === 0) {
    collect(false);
    wholeProfile = true;
  }

  const byFunction = new Map<string, { name: string; where: string; area: string; us: number }>();
  const byArea = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    if (!frame) continue;
    totalUs += us;
    const area = areaOf(frame.functionName, frame.url);
    if (area === '(idle)') idleUs += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, area, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()]
    .filter((f) => f.area !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((f) => ({ name: f.name, where: f.where, area: f.area, ms: f.us / 1000 }));
  const areas = [...byArea].filter(([area]) => area !== '(idle)').sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000 }));
  return { file, totalMs: totalUs / 1000, busyMs: (totalUs - idleUs) / 1000, wholeProfile, functions, areas };
}
