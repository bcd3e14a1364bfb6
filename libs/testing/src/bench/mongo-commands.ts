/**
 * The parts of the MongoDB driver's command monitoring events read here
 * (structural, so that any driver version fits: the services' mongoose one,
 * the root `mongodb`).
 */
interface CommandStartedEvent {
  readonly requestId: number;
  readonly commandName: string;
  readonly command: Readonly<Record<string, unknown>>;
}
interface CommandFinishedEvent {
  readonly requestId: number;
  readonly commandName: string;
  /** ms */
  readonly duration: number;
}

/** A MongoClient created with `monitorCommands: true`. */
export interface MonitoredMongoClient {
  on(event: 'commandStarted', listener: (event: CommandStartedEvent) => void): unknown;
  on(event: 'commandSucceeded' | 'commandFailed', listener: (event: CommandFinishedEvent) => void): unknown;
}

/** One command as the driver timed it. */
export interface MongoCommand {
  /** Epoch ms (sub-ms precision) when it was sent. */
  readonly at: number;
  readonly command: string;
  /** The collection it names, if any. */
  readonly collection: string | undefined;
  readonly ms: number;
  readonly ok: boolean;
}

export interface MongoCommandTotals {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** What happened since the previous `take()` (or `reset()`). */
export interface MongoCommandPeriod {
  /** By the monitor's key (default `<collection>.<command>`). */
  readonly totals: Record<string, MongoCommandTotals>;
  /** The commands themselves, in order, up to `logLimit`. */
  readonly log: MongoCommand[];
  /** Commands beyond `logLimit`. */
  readonly logDropped: number;
}

export interface MongoCommandMonitorOptions {
  /** Commands kept one by one per period. Default 0: totals only. */
  readonly logLimit?: number;
  /** What commands are added up by. Default `<collection>.<command>` (`-` without a collection). */
  readonly key?: (command: MongoCommand) => string;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Counts and times every command of the clients it is attached to through the
 * driver's command monitoring, by command and collection, per period (what a
 * benchmark measures: `reset()` at the start, `take()` at the end).
 */
export class MongoCommandMonitor {
  private readonly started = new Map<number, { at: number; command: string; collection: string | undefined }>();
  private totals: Record<string, MongoCommandTotals> = {};
  private log: MongoCommand[] = [];
  private dropped = 0;

  constructor(private readonly options: MongoCommandMonitorOptions = {}) {}

  attach(client: MonitoredMongoClient): void {
    client.on('commandStarted', (event) => {
      const target = event.command[event.commandName];
      this.started.set(event.requestId, { at: now(), command: event.commandName, collection: typeof target === 'string' ? target : undefined });
    });
    client.on('commandSucceeded', (event) => this.finished(event, true));
    client.on('commandFailed', (event) => this.finished(event, false));
  }

  /** Starts a new period. */
  reset(): void {
    this.totals = {};
    this.log = [];
    this.dropped = 0;
  }

  /** What happened in the period, which then starts anew. */
  take(): MongoCommandPeriod {
    const period = { totals: this.totals, log: this.log, logDropped: this.dropped };
    this.reset();
    return period;
  }

  /** The period's totals so far, most time first. */
  ranked(): { key: string; count: number; totalMs: number; maxMs: number }[] {
    return Object.entries(this.totals)
      .map(([key, t]) => ({ key, ...t }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  private finished(event: CommandFinishedEvent, ok: boolean): void {
    const start = this.started.get(event.requestId);
    if (!start) return; // sent before the monitor was attached
    this.started.delete(event.requestId);
    const command: MongoCommand = { ...start, ms: event.duration, ok };
    const key = this.options.key?.(command) ?? `${command.collection ?? '-'}.${command.command}`;
    const t = (this.totals[key] ??= { count: 0, totalMs: 0, maxMs: 0 });
    t.count++;
    t.totalMs += command.ms;
    t.maxMs = Math.max(t.maxMs, command.ms);
    if (this.log.length < (this.options.logLimit ?? 0)) this.log.push(command);
    else this.dropped++;
  }
}
