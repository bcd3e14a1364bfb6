import type { Logger } from '@careloop/observability';
import type { ConnectorRegistry } from './connector-registry';
import type { PollSchedule } from './poll-schedule';
import type { ImportEhrAppointments } from '../use-cases/import-ehr-appointments';

export interface PollerSettings {
  readonly tickMs: number;
  /** A poll that ran this long is presumed dead and its connector may be claimed again. */
  readonly leaseMs: number;
  readonly maxParallel: number;
}

/**
 * Runs the due polls every tick, each connector in its own promise: a slow EHR delays only its
 * own next poll. A failed poll is retried at the next tick (its cursor kept what succeeded).
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly schedule: PollSchedule,
    private readonly registry: ConnectorRegistry,
    private readonly useCase: ImportEhrAppointments,
    private readonly settings: PollerSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.settings.tickMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round (tests call it directly). */
  async tick(): Promise<void> {
    const due = await this.schedule.claimDue(new Date(), this.settings.leaseMs, this.settings.maxParallel).catch((error: unknown) => {
      this.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'poll schedule unavailable');
      return [];
    });
    await Promise.all(
      due.map(async (entry) => {
        let nextInMs = this.settings.tickMs;
        try {
          const connection = await this.registry.connection(entry.tenantId, entry.connectorId);
          nextInMs = (connection?.connector.import?.pollIntervalSeconds ?? 60) * 1000;
          const result = await this.useCase.poll(entry);
          if (result && (result.imported || result.skipped)) this.logger.info({ tenantId: entry.tenantId, connectorId: entry.connectorId, ...result }, 'EHR appointments polled');
        } catch (error) {
          nextInMs = this.settings.tickMs;
          this.logger.warn({ tenantId: entry.tenantId, connectorId: entry.connectorId, err: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : '' } }, 'EHR poll failed; retrying');
        } finally {
          await this.schedule.release(entry.tenantId, entry.connectorId, new Date(Date.now() + nextInMs)).catch(() => undefined);
        }
      }),
    );
  }
}
