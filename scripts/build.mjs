#!/usr/bin/env node
// `nx run <project>:build`. A service is bundled with esbuild into
// dist/services/<name>/ (main.js + instrumentation.js + one bundle per *.worker.ts, third-party packages left
// external so OpenTelemetry can patch them, workspace libraries inlined); what
// the container image runs is `node --require ./instrumentation.js main.js`.
// A library has nothing to emit: its build is its typecheck.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { root } from './lib/workspace.mjs';

const project = process.argv[2];
if (!project) {
  console.error('usage: build.mjs <project>');
  process.exit(2);
}
const serviceDir = join(root, 'services', project);
const libDir = join(root, 'libs', project);
const bin = (name) => join(root, 'node_modules', '.bin', name);

if (existsSync(join(serviceDir, 'src', 'main.ts'))) {
  const external = Object.keys(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages)
    .filter((p) => p.startsWith('node_modules/') && !p.startsWith('node_modules/@careloop/'))
    .map((p) => p.slice('node_modules/'.length))
    .filter((p) => !p.includes('/node_modules/'));
  const outdir = join(root, 'dist', 'services', project);
  const common = ['--bundle', '--platform=node', '--target=node20', '--format=cjs', '--sourcemap', `--tsconfig=${join(root, 'tsconfig.base.json')}`, ...external.map((e) => `--external:${e}`)];
  // Worker threads (`*.worker.ts`) are bundles of their own beside main.js, which loads them from there.
  const workers = readdirSync(join(serviceDir, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.worker.ts'))
    .map((f) => [join(serviceDir, 'src', f), basename(f).replace(/\.ts$/, '.js')]);
  for (const [entry, out] of [
    [join(serviceDir, 'src', 'main.ts'), 'main.js'],
    [join(root, 'libs', 'observability', 'src', 'instrumentation.ts'), 'instrumentation.js'],
    ...workers,
  ]) {
    const r = spawnSync(bin('esbuild'), [entry, ...common, `--outfile=${join(outdir, out)}`, '--log-level=warning'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  console.log(`built dist/services/${project}/{${['main', 'instrumentation', ...workers.map(([, out]) => out.replace(/\.js$/, ''))].join(',')}}.js`);
} else if (existsSync(libDir)) {
  const r = spawnSync(bin('tsc'), ['-p', join(libDir, 'tsconfig.json'), '--noEmit'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  console.error(`no project named ${project}`);
  process.exit(2);
}
