import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function repoRoot(start = __dirname): string {
  for (let dir = resolve(start); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'deploy', 'local', 'infra.sh'))) return dir;
  }
  throw new Error(`No Careloop repository above ${start}`);
}

export interface InfraEnv {
  readonly KAFKA_BROKERS: string;
  readonly MONGODB_URI: string;
  readonly REDIS_URL: string;
  /** Base URL of a FHIR R4 server, e.g. http://127.0.0.1:18090/fhir (no trailing slash). */
  readonly FHIR_BASE_URL: string;
}

/**
 * Starts (or reuses) the real local Kafka, FerretDB, Redis and FHIR server through
 * deploy/local/infra.sh — or uses KAFKA_BROKERS / MONGODB_URI / REDIS_URL /
 * FHIR_BASE_URL when they are set — and returns the connection settings.
 */
export function ensureInfra(): InfraEnv {
  const script = join(repoRoot(), 'deploy', 'local', 'infra.sh');
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return readInfraEnv();
}

export function readInfraEnv(): InfraEnv {
  const script = join(repoRoot(), 'deploy', 'local', 'infra.sh');
  const out = execFileSync('bash', [script, 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  const { KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL } = env;
  if (!KAFKA_BROKERS || !MONGODB_URI || !REDIS_URL || !FHIR_BASE_URL) throw new Error(`infra.sh env did not print all settings:\n${out}`);
  return { KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL: FHIR_BASE_URL.replace(/\/+$/, '') };
}

/** The settings of the running local infrastructure, from the environment the global setup exported. */
export function infraEnv(): InfraEnv {
  const { KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL } = process.env;
  if (KAFKA_BROKERS && MONGODB_URI && REDIS_URL && FHIR_BASE_URL) {
    return { KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL: FHIR_BASE_URL.replace(/\/+$/, '') };
  }
  return readInfraEnv();
}

/**
 * pids of the local infrastructure's processes by name (`kafka`, `ferretdb`,
 * `redis`, `fhir`), from `infra.sh status`, for CPU accounting; empty when the
 * infrastructure is external (KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL set).
 */
export function localInfraPids(): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  try {
    const out = execFileSync('bash', [join(repoRoot(), 'deploy', 'local', 'infra.sh'), 'status'], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const m = /^(\w+)\s+running\s+pid=(\d+)/.exec(line.trim());
      if (m?.[1] && m[2]) pids[m[1] === 'mongo' ? 'ferretdb' : m[1]] = Number(m[2]);
    }
  } catch {
    // no local processes to account
  }
  return pids;
}

/** A MongoDB URI for a database no other test uses. */
export function mongoUriFor(base: string, dbName: string): string {
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return url.toString();
}
