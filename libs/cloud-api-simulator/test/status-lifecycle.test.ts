import { StatusLifecycle } from '../src/messaging/status-lifecycle';
import { CustomerServiceWindows } from '../src/messaging/customer-service-window';
import type { OutboundMessage } from '../src/messaging/outbound-message';
import type { Scheduler } from '../src/scheduler';
import { TranscriptStore } from '../src/transcript';

/**
 * A scheduler whose pending tasks run latest-due first: what Node's timers can do once the event
 * loop was blocked past several of them (one timer list per duration, each list in its own order).
 */
class LatestFirstScheduler {
  private pending: { readonly ms: number; readonly task: () => void }[] = [];

  after(ms: number, task: () => void): void {
    this.pending.push({ ms, task });
  }

  runAll(): void {
    while (this.pending.length > 0) {
      const due = [...this.pending].sort((a, b) => b.ms - a.ms);
      this.pending = [];
      for (const { task } of due) task();
    }
  }
}

describe('status lifecycle', () => {
  it('delivers a message even when its timers fire out of order (a blocked event loop)', () => {
    const scheduler = new LatestFirstScheduler();
    const delivered: string[] = [];
    const lifecycle = new StatusLifecycle({
      scheduler: scheduler as unknown as Scheduler,
      timing: { sentMs: 5, deliveredMs: 20, readMs: 300 },
      autoRead: false,
      now: () => 1_000,
      windows: new CustomerServiceWindows(24 * 3_600_000),
      transcript: new TranscriptStore(),
      dispatchStatus: () => undefined,
      delivered: (m) => delivered.push(m.wamid),
    });
    const message = {
      wamid: 'wamid.1', phoneNumberId: '1000001', apiVersion: 'v24.0', input: '34600111222', addressedBy: 'phone', userKey: '34600111222', waId: '34600111222', bsuid: undefined,
      payload: { messaging_product: 'whatsapp', to: '34600111222', type: 'text', text: { body: 'Hola' } }, acceptedAt: 1_000, inWindow: true, pricingCategory: 'service', conversationId: 'c-1', template: undefined, status: 'accepted',
    } as OutboundMessage;

    lifecycle.accepted(message, undefined);
    scheduler.runAll();

    expect(message.status).toBe('delivered');
    expect(delivered).toEqual(['wamid.1']);
  });
});
