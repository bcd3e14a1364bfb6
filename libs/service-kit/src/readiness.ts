export type ReadinessCheck = () => Promise<boolean>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, 'up' | 'down'>;
}

/**
 * Named dependency checks behind /readyz and the gRPC health service. A
 * service is ready when it has started, is not draining, and every check
 * passes. Results are cached briefly so probes cannot hammer the stores.
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private started = false;
  private draining = false;
  private cached: { at: number; report: ReadinessReport } | undefined;

  constructor(private readonly cacheMs = 500) {}

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  markStarted(): void {
    this.started = true;
    this.cached = undefined;
  }

  markDraining(): void {
    this.draining = true;
    this.cached = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<ReadinessReport> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.report;
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, (await check().catch(() => false)) ? 'up' : 'down'] as const),
    );
    const checks = Object.fromEntries(entries) as Record<string, 'up' | 'down'>;
    const report = { ready: this.started && !this.draining && entries.every(([, s]) => s === 'up'), checks };
    this.cached = { at: now, report };
    return report;
  }
}
