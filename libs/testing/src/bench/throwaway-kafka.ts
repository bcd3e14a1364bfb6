import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { repoRoot } from '../infra';
import { freePort, sleep } from '../wait';

const run = promisify(execFile);
/** Who started a broker (its pid), in its data directory: see `sweepOrphans`. */
const OWNER_FILE = 'owner.pid';
/** kafka.sh's own start timeout when none is given (CARELOOP_KAFKA_START_TIMEOUT unset). */
const SCRIPT_START_TIMEOUT_S = 90;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ThrowawayKafkaOptions {
  /** Name prefix of its data directory in the OS temp directory. Default `careloop-kafka-`. */
  readonly dirPrefix?: string;
  /** Seconds kafka.sh waits for the broker to start (`--timeout`); kafka.sh's default (90 s) when unset. */
  readonly startTimeoutSeconds?: number;
  /**
   * Record this process as the broker's owner, and first stop the brokers of
   * earlier runs (same `dirPrefix`) whose owner is gone without cleaning up
   * (SIGKILL): see `ThrowawayKafka.sweepOrphans`.
   */
  readonly sweepOrphans?: boolean;
}

/**
 * A throw-away single Kafka broker: the jars and settings of the shared local
 * one (deploy/local/kafka.sh), its own free ports on 127.0.0.1 and its own
 * data directory, deleted by `destroy()`. For tests that take Kafka down and
 * bring it back (`halt`, `resume`) without disturbing the shared broker, and
 * for benchmarks whose services have fixed consumer-group names that must not
 * meet the same service running on the shared broker.
 */
export class ThrowawayKafka {
  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    /** Its data directory (kafka.pid, server.log...). */
    readonly dataDir: string,
    private readonly startTimeoutSeconds: number | undefined,
  ) {}

  /** Starts a broker and waits until it serves; a broker that fails to start is stopped and its directory removed. */
  static async start(options: ThrowawayKafkaOptions = {}): Promise<ThrowawayKafka> {
    const prefix = options.dirPrefix ?? 'careloop-kafka-';
    if (options.sweepOrphans) await ThrowawayKafka.sweepOrphans(prefix);
    const dataDir = mkdtempSync(join(tmpdir(), prefix));
    // Who owns this broker: a later run stops it if this process dies without cleaning up (SIGKILL).
    if (options.sweepOrphans) writeFileSync(join(dataDir, OWNER_FILE), String(process.pid));
    const kafka = new ThrowawayKafka(await freePort(), await freePort(), dataDir, options.startTimeoutSeconds);
    try {
      await kafka.resume();
    } catch (error) {
      await kafka.destroy();
      throw error;
    }
    return kafka;
  }

  /**
   * Stops the brokers in `<tmpdir>/<dirPrefix>*` whose owner process is gone
   * (killed before its clean-up) and removes their directories. Directories
   * without an owner file are left alone: being created right now, or not
   * started with `sweepOrphans`.
   */
  static async sweepOrphans(dirPrefix: string): Promise<void> {
    for (const entry of readdirSync(tmpdir()).filter((e) => e.startsWith(dirPrefix))) {
      const dataDir = join(tmpdir(), entry);
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(dataDir, OWNER_FILE), 'utf8'));
      } catch {
        continue; // no owner recorded: not ours to judge
      }
      if (alive(owner)) continue;
      console.log(`stopping the Kafka broker of an earlier run that did not clean up (${entry}) ...`);
      await new ThrowawayKafka(0, 0, dataDir, undefined).destroy();
    }
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The broker's JVM (for CPU accounting), while it runs. */
  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** (Re)starts the broker on its ports with its data, and waits until it serves. */
  async resume(): Promise<void> {
    const timeout = this.startTimeoutSeconds === undefined ? [] : ['--timeout', String(this.startTimeoutSeconds)];
    await this.script('start', '--port', String(this.port), '--controller-port', String(this.controllerPort), ...timeout);
  }

  /** Stops the broker, keeping its data for `resume()`. */
  async halt(): Promise<void> {
    await this.script('stop');
  }

  /** Stops the broker (a failure is reported, not thrown) and deletes its data directory. */
  async destroy(): Promise<void> {
    await this.halt().catch((error: unknown) => console.error(`could not stop the throw-away Kafka broker in ${this.dataDir}:`, error));
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async script(command: string, ...args: string[]): Promise<void> {
    const timeoutMs = ((this.startTimeoutSeconds ?? SCRIPT_START_TIMEOUT_S) + 30) * 1000;
    await run('bash', [join(repoRoot(), 'deploy', 'local', 'kafka.sh'), command, '--data-dir', this.dataDir, ...args], { timeout: timeoutMs });
  }
}

/** A kafkajs client that logs nothing (benchmarks and tests report what matters themselves). */
export function kafkaClient(brokers: string, clientId: string): Kafka {
  return new Kafka({ brokers: brokers.split(','), clientId, logLevel: logLevel.NOTHING });
}

export interface EnsureTopicsOptions {
  readonly clientId?: string;
  /** Keep trying this long while the broker refuses (one that has just started may still answer "unknown topic"). Default 0: fail at once. */
  readonly retryForMs?: number;
}

/**
 * Creates the topics that are missing (existing ones are left alone, as
 * services do) and waits for their leaders. The configs come from the caller
 * — typically the bus's `topicConfigs(definitions, settings)`, so that the
 * topics are exactly those the services would create.
 */
export async function ensureTopics(brokers: string, topics: readonly ITopicConfig[], options: EnsureTopicsOptions = {}): Promise<void> {
  const kafka = kafkaClient(brokers, options.clientId ?? 'careloop-testing');
  for (const until = Date.now() + (options.retryForMs ?? 0); ; ) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await createMissingTopics(admin, topics);
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
    } finally {
      await admin.disconnect();
    }
    await sleep(500);
  }
}

async function createMissingTopics(admin: Admin, topics: readonly ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (error) {
    // Someone else may have created them at the same moment.
    if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
  }
}

/**
 * A first consumer-group lookup makes a new broker create __consumer_offsets
 * now, not while the services under test join their groups; retried while the
 * group coordinator is still loading (60 s at most).
 */
export async function warmGroupCoordinator(admin: Admin, topic: string, groupId = 'careloop-bench-warm-up'): Promise<void> {
  for (const until = Date.now() + 60_000; ; ) {
    try {
      await admin.fetchOffsets({ groupId, topics: [topic] });
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(250); // the coordinator is still loading
    }
  }
}
