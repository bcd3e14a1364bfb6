import type { Logger } from '@careloop/observability';

/** Runs a round of work every `everyMs` (after the previous round ended), until stopped. */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.round()
        .then(() => undefined, (error: unknown) => {
          this.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, `${this.what} failed; next round`);
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.everyMs);
        });
    };
    this.timer = setTimeout(tick, this.everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
