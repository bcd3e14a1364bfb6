import type { Logger } from '@careloop/observability';
import type { DueIndex } from '../adapters/due-index';
import type { ReminderRecord, ReminderStore } from '../adapters/reminder-store';

/**
 * Redis is the fast index, MongoDB the truth: when Redis lost the index (a flush, a new instance),
 * every reminder still `scheduled` or `firing` (taken by a loop that died, or awaiting gateway's
 * result: fired again with the same command id, which gateway sends at most once) is put back, streamed
 * in batches so millions never sit in memory. This sweep spans tenants on purpose: it reads the
 * collection through the driver (only ids, endpoint and due time), never to answer a tenant's request.
 */
export class RebuildDueIndex {
  constructor(
    private readonly reminders: ReminderStore,
    private readonly index: DueIndex,
    private readonly logger: Logger,
  ) {}

  async execute(force = false): Promise<number> {
    if (!force && (await this.index.isBuilt())) return 0;
    let count = 0;
    for (const state of ['scheduled', 'firing'] as const) {
      const cursor = this.reminders.collectionModel.collection.find<Pick<ReminderRecord, '_id' | 'tenantId' | 'dueAt' | 'endpoint'>>({ state }, { projection: { _id: 1, tenantId: 1, dueAt: 1, endpoint: 1 }, batchSize: 5_000 });
      let batch = new Map<string, { tenantId: string; reminderId: string; dueAt: Date }[]>();
      let size = 0;
      const flush = async () => {
        await Promise.all([...batch].map(([ep, entries]) => this.index.schedule(ep, entries)));
        batch = new Map();
        size = 0;
      };
      for await (const r of cursor) {
        const ep = r.endpoint.endpointId;
        const list = batch.get(ep) ?? [];
        list.push({ tenantId: r.tenantId, reminderId: r._id, dueAt: r.dueAt });
        batch.set(ep, list);
        count++;
        if (++size >= 5_000) await flush();
      }
      await flush();
    }
    await this.index.markBuilt();
    this.logger.info({ count }, 'due-index rebuilt from the store');
    return count;
  }
}
