import { CircuitOpenError, TransientFhirError } from '../../domain/errors';

export interface BreakerSettings {
  /** Consecutive transient failures that open the circuit. */
  readonly failures: number;
  readonly cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * One per connector. While open, calls fail at once (CircuitOpenError, transient) instead of
 * each waiting out a timeout, so a slow or dead EHR costs its tenant's events a pause and nobody
 * else's a socket. After the cooldown one trial call goes through; its success closes the circuit.
 * Only transient failures count: a 422 means the server is up.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private opened = false;

  constructor(
    private readonly connectorId: string,
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
    private readonly onChange?: (state: BreakerState) => void,
  ) {}

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialInFlight)) throw new CircuitOpenError(this.connectorId);
    const trial = state === 'half-open';
    if (trial) this.trialInFlight = true;
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (error) {
      if (error instanceof TransientFhirError && !(error instanceof CircuitOpenError)) this.failed(trial);
      else this.succeeded();
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private succeeded(): void {
    this.consecutive = 0;
    if (this.opened) {
      this.opened = false;
      this.onChange?.('closed');
    }
  }

  private failed(trial: boolean): void {
    this.consecutive += 1;
    if (trial || this.consecutive >= this.settings.failures) {
      this.opened = true;
      this.openUntil = this.now() + this.settings.cooldownMs;
      this.onChange?.('open');
    }
  }
}
