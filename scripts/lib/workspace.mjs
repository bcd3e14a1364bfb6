// Helpers shared by the two commands (npm start, npm test). Node built-ins only:
// these run before dependencies are installed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

/** Runs a set-up script in the background: resolves when it exits 0, rejects with `failure` otherwise. */
function background(script, args, stdio, failure) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { cwd: root, stdio });
    child.on('error', (error) => reject(new Error(`${failure}: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(failure))));
  });
}

/**
 * The chart tools (built once and cached: helm, kubeconform, Kubernetes schemas, hadolint) and the
 * local infrastructure, started together in the background (`npm test`): on a fresh machine the
 * helm build (one core), the downloads and the brokers' start overlap with the static checks
 * instead of running one after another.
 */
export function startSetUp({ infrastructure }) {
  const started = Date.now();
  const since = () => ((Date.now() - started) / 1000).toFixed(1);
  const tools = background(join(root, 'tools', 'chart', 'ensure-tools.sh'), [], ['ignore', 'ignore', 'inherit'], 'chart tools (helm, kubeconform, Kubernetes schemas) could not be built: see above').then(() =>
    log(`chart tools ready in ${since()} s`),
  );
  const infra = infrastructure
    ? background(join(root, 'deploy', 'local', 'infra.sh'), ['up'], ['ignore', 'inherit', 'inherit'], 'local infrastructure did not start (see above; `npm run infra -- logs`)').then(() => {
        log(`infrastructure ready in ${since()} s`);
        return infrastructureEnv();
      })
    : Promise.resolve({});
  // Awaited later; a failure must not surface as an unhandled rejection before that.
  tools.catch(() => undefined);
  infra.catch(() => undefined);
  return { tools, infra };
}
