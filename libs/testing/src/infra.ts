import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './wait';

const run = promisify(execFile);

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
}

/**
 * Starts (or reuses) the real local Kafka, FerretDB and Redis through
 * deploy/local/infra.sh — or uses KAFKA_BROKERS / MONGODB_URI / REDIS_URL
 * when they are set — and returns the connection settings.
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
  const { KAFKA_BROKERS, MONGODB_URI, REDIS_URL } = env;
  if (!KAFKA_BROKERS || !MONGODB_URI || !REDIS_URL) throw new Error(`infra.sh env did not print all settings:\n${out}`);
  return { KAFKA_BROKERS, MONGODB_URI, REDIS_URL };
}

/** The settings of the running local infrastructure, from the environment the global setup exported. */
export function infraEnv(): InfraEnv {
  const { KAFKA_BROKERS, MONGODB_URI, REDIS_URL } = process.env;
  if (KAFKA_BROKERS && MONGODB_URI && REDIS_URL) return { KAFKA_BROKERS, MONGODB_URI, REDIS_URL };
  return readInfraEnv();
}

/** A MongoDB URI for a database no other test uses. */
export function mongoUriFor(base: string, dbName: string): string {
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * A throw-away second Kafka broker (same jars, own ports and data) for tests
 * that take Kafka down and bring it back without disturbing the shared one.
 */
export class EphemeralKafka {
  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<EphemeralKafka> {
    const kafka = new EphemeralKafka(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), 'careloop-kafka-')));
    await kafka.resume();
    return kafka;
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    await this.script('start', '--port', String(this.port), '--controller-port', String(this.controllerPort));
  }

  async halt(): Promise<void> {
    await this.script('stop');
  }

  async destroy(): Promise<void> {
    await this.halt().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async script(command: string, ...args: string[]): Promise<void> {
    const script = join(repoRoot(), 'deploy', 'local', 'kafka.sh');
    await run('bash', [script, command, '--data-dir', this.dataDir, ...args], { timeout: 120_000 });
  }
}
