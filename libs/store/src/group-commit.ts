/**
 * Gathers writes that arrive while one is in flight into the next single round trip (group
 * commit). The first write goes at once, so a lone caller waits one round trip; under load
 * callers share them, so throughput follows the batch size, not the store's latency. Each
 * caller's promise settles with its own batch: resolved once the batch is written, rejected
 * with the batch's error otherwise (nothing is dropped silently).
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly writeBatch: (items: readonly T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  /** Settles once every write added so far has been attempted (shutdown waits for it). */
  async idle(): Promise<void> {
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.writeBatch(batch.map((b) => b.item));
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** Whether a bulk write failed only because some documents existed already (E11000). */
export function onlyDuplicateKeys(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) {
    // The driver's WriteError has code/errmsg; as serialised by mongoose's insertMany they sit under `err`.
    type WriteErrorLike = { code?: unknown; errmsg?: unknown; err?: { code?: unknown; errmsg?: unknown } };
    const duplicate = (e: WriteErrorLike) => (e.code ?? e.err?.code) === 11000 || /E11000|duplicate key/i.test(String(e.errmsg ?? e.err?.errmsg));
    return writeErrors.every((e) => duplicate(e as WriteErrorLike));
  }
  return /E11000|duplicate key/i.test(error.message);
}
