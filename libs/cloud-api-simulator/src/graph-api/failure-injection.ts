import { knownError, MetaError, type ErrorDelivery } from '../meta-errors';

/** Which requests a failure applies to; absent fields match anything. */
export interface FailureMatch {
  /** Recipient as phone digits (any formatting) or business-scoped user id. */
  readonly to?: string;
  /** Outbound message type, or `read` for mark-as-read requests. */
  readonly type?: string;
  readonly phoneNumberId?: string;
  readonly channel?: 'whatsapp' | 'messenger';
}

export interface InjectedErrorResponse {
  readonly code: number;
  /** Defaults from Meta's catalogue for known codes, else 400. */
  readonly httpStatus?: number;
  readonly title?: string;
  /** Full `error.message`; defaults to `(#code) title`. */
  readonly message?: string;
  readonly details?: string;
  readonly subcode?: number;
  /**
   * `sync` answers the HTTP request with the error; `async` accepts the message (a wamid is returned)
   * and reports the error in a `failed` status webhook, the way Meta reports 131026/131047/131049/131050.
   */
  readonly delivery?: ErrorDelivery;
}

export interface FailureSpec {
  readonly match?: FailureMatch;
  /** How many matching requests fail; default 1. `Infinity` until cleared. */
  readonly times?: number;
  /** An error, or `network-drop` to destroy the connection without answering. */
  readonly response: InjectedErrorResponse | 'network-drop';
}

export interface InjectedFailure {
  readonly id: number;
  readonly spec: FailureSpec;
  remaining: number;
}

export type FailureOutcome = { kind: 'network-drop' } | { kind: 'sync'; error: MetaError } | { kind: 'async'; error: MetaError };

export interface RequestFacts {
  readonly channel: 'whatsapp' | 'messenger';
  readonly phoneNumberId: string;
  readonly to: string;
  readonly type: string;
}

/** Failures the test asked for, consumed in the order they were injected. */
export class FailureInjector {
  private readonly failures: InjectedFailure[] = [];
  private nextId = 1;

  inject(spec: FailureSpec): InjectedFailure {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('injectFailure: times must be positive');
    const failure: InjectedFailure = { id: this.nextId++, spec, remaining: times };
    this.failures.push(failure);
    return failure;
  }

  cancel(id: number): void {
    const index = this.failures.findIndex((f) => f.id === id);
    if (index >= 0) this.failures.splice(index, 1);
  }

  clear(): void {
    this.failures.length = 0;
  }

  pending(): readonly InjectedFailure[] {
    return this.failures;
  }

  /** Consumes one use of the first matching failure. */
  take(facts: RequestFacts): FailureOutcome | undefined {
    const failure = this.failures.find((f) => matches(f.spec.match, facts));
    if (failure === undefined) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.cancel(failure.id);
    return outcomeOf(failure.spec.response);
  }
}

function matches(match: FailureMatch | undefined, facts: RequestFacts): boolean {
  if (match === undefined) return true;
  if (match.channel !== undefined && match.channel !== facts.channel) return false;
  if (match.phoneNumberId !== undefined && match.phoneNumberId !== facts.phoneNumberId) return false;
  if (match.type !== undefined && match.type !== facts.type) return false;
  if (match.to !== undefined && normalizeRecipient(match.to) !== normalizeRecipient(facts.to)) return false;
  return true;
}

/** Phone numbers compare by digits; business-scoped ids (they contain a dot) compare as given. */
export function normalizeRecipient(value: string): string {
  return value.includes('.') ? value : value.replace(/\D/g, '');
}

function outcomeOf(response: FailureSpec['response']): FailureOutcome {
  if (response === 'network-drop') return { kind: 'network-drop' };
  const known = knownError(response.code);
  const title = response.title ?? known?.title ?? 'Injected failure';
  const error = new MetaError({
    code: response.code,
    title,
    httpStatus: response.httpStatus ?? known?.httpStatus ?? 400,
    details: response.details ?? known?.details,
    subcode: response.subcode,
    message: response.message,
  });
  const delivery = response.delivery ?? known?.delivery ?? 'sync';
  return delivery === 'async' ? { kind: 'async', error } : { kind: 'sync', error };
}
