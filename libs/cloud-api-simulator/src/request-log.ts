/** One Graph API request and how the simulator answered it. */
export interface RequestLogEntry {
  readonly at: number;
  readonly channel: 'whatsapp' | 'messenger';
  /** Phone number id or page id from the path (`me` resolves to the page id). */
  readonly business: string;
  readonly kind: 'message' | 'mark-read' | 'sender-action' | 'unknown';
  readonly body: unknown;
  /** 0 when the connection was dropped on purpose. */
  readonly httpStatus: number;
  readonly errorCode?: number;
  readonly messageId?: string;
}

export interface SimulatorStats {
  readonly requests: number;
  readonly acceptedMessages: number;
  /** HTTP status → count; dropped connections count under "dropped". */
  readonly responsesByHttpStatus: Readonly<Record<string, number>>;
  /** Meta error code → count, for error responses. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Error code → count, for failures reported by `failed` status webhooks. */
  readonly failedStatusesByCode: Readonly<Record<string, number>>;
  readonly webhooks: { readonly delivered: number; readonly failed: number; readonly pending: number; readonly attempts: number };
}

export function countBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const key = keyOf(item);
    if (key !== undefined) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
