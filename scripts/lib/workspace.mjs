// Helpers shared by the two commands (npm start, npm test). Node built-ins only:
// these run before dependencies are installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function log(message) {
  process.stderr.write(`[careloop] ${message}\n`);
}

/** Installs npm dependencies when node_modules is missing or older than the lockfile. */
export function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install`, not `npm ci`: npm 11 refuses `ci` when the lockfile lacks other platforms'
  // optional binaries (swc, buf, nx), which an install on one platform never records. The
  // lockfile still pins every version that is installed.
  log('installing npm dependencies (npm install, versions from package-lock.json) ...');
  const started = Date.now();
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm install failed');
  log(`dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Starts (or reuses) the local Kafka, FerretDB and Redis; returns their settings. */
export function ensureInfrastructure() {
  const script = join(root, 'deploy', 'local', 'infra.sh');
  const started = Date.now();
  const up = spawnSync('bash', [script, 'up'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) throw new Error('local infrastructure did not start (see above; `npm run infra -- logs`)');
  log(`infrastructure ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return infrastructureEnv();
}

export function infrastructureEnv() {
  const out = execFileSync('bash', [join(root, 'deploy', 'local', 'infra.sh'), 'env'], { cwd: root, encoding: 'utf8' });
  const env = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Builds (first run, a few minutes) or finds the cached helm, kubeconform and Kubernetes schemas for the chart tests. */
export function ensureChartTools() {
  const started = Date.now();
  const r = spawnSync('bash', [join(root, 'tools', 'chart', 'ensure-tools.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('chart tools (helm, kubeconform, Kubernetes schemas) could not be built: see above');
  log(`chart tools ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
