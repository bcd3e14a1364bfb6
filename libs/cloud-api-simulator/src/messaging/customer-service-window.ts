/**
 * Meta's customer service window: "Whenever a WhatsApp user messages you ... a 24-hour timer called a
 * customer service window starts (or refreshes). When the window is open you can send any type of
 * message; when closed, only template messages." Outside it a free-form message is accepted by the
 * API and then fails with 131047 "Re-engagement message" (status_failed_131047.json).
 */
export class CustomerServiceWindows {
  private readonly lastInbound = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  userWrote(business: string, userKey: string, at: number): void {
    this.lastInbound.set(key(business, userKey), at);
  }

  /** Epoch ms at which the window closes, or undefined if the user never wrote. */
  closesAt(business: string, userKey: string): number | undefined {
    const last = this.lastInbound.get(key(business, userKey));
    return last === undefined ? undefined : last + this.windowMs;
  }

  isOpen(business: string, userKey: string, now: number): boolean {
    const closes = this.closesAt(business, userKey);
    return closes !== undefined && now < closes;
  }
}

function key(business: string, userKey: string): string {
  return `${business}\u0000${userKey}`;
}
