import { Schema, type Connection, type PipelineStage } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { FactTableName } from '../domain/reports';

/** A PHI-free fact: pseudonymous ids, directory codes, buckets and 0/1 counters. */
export interface FactDoc extends TenantOwned {
  _id: string;
  [field: string]: unknown;
}

export interface GroupSums {
  readonly key: unknown;
  readonly sums: Readonly<Record<string, number>>;
}

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * At most `limit` operations in flight. FerretDB v1 on PostgreSQL stops answering when more
 * concurrent operations arrive than its backend pool holds (seen here: every connection idle,
 * none answered), so writes are bounded rather than one per event in flight.
 */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A released slot passes straight to the next waiter, so the limit holds exactly.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/**
 * Writes to one document, one at a time within this process. FerretDB v1 applies an update as
 * read-modify-write of the whole document, so two concurrent updates of the same fact (an
 * appointment's new snapshot and its reminder's read status) could lose one; MongoDB itself
 * is atomic per document, so across replicas this only matters for FerretDB.
 */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** Writes in flight per fact table (bulk writes stalled FerretDB v1 outright in our tests, so writes are single-document). */
const WRITES_IN_FLIGHT = 8;

/**
 * One collection of facts (appointments, surveys, conversations, reminders, messages). Facts are
 * upserted by their natural id with guards (version, $max) that make a replay or a late event
 * change nothing it should not; reports are sums over facts grouped by one dimension, with the
 * tenant as the leading equality (the one filter FerretDB pushes down to its indexes).
 */
export class FactTable extends TenantRepository<FactDoc> {
  private readonly writes = new Semaphore(WRITES_IN_FLIGHT);
  private readonly perDocument = new KeyedQueue();

  private write<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.perDocument.run(id, () => this.writes.run(work));
  }

  constructor(
    connection: Connection,
    readonly table: FactTableName,
    indexes: readonly Record<string, 1>[] = [],
  ) {
    const schema = new Schema<FactDoc>({ _id: String, tenantId: { type: String, required: true } }, { versionKey: false, strict: false, collection: `facts_${table}` });
    schema.index({ tenantId: 1, day: 1 });
    for (const index of indexes) schema.index({ tenantId: 1, ...index });
    schema.plugin(tenantGuard);
    super(modelFor<FactDoc>(connection, `Fact_${table}`, schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  static id(tenantId: string, naturalId: string): string {
    return `${tenantId}/${naturalId}`;
  }

  /** Upsert guarded by a version: only a higher version replaces the fact. Returns whether it applied. */
  async upsertVersioned(tenantId: string, naturalId: string, version: number, fields: Record<string, unknown>, onInsert: Record<string, unknown> = {}): Promise<boolean> {
    const _id = FactTable.id(tenantId, naturalId);
    const update = { $set: { ...fields, version }, ...(Object.keys(onInsert).length ? { $setOnInsert: onInsert } : {}) };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const r = await this.write(_id, () => this.updateOneScoped(tenantId, { _id, version: { $lt: version } }, update, true));
        return r.matched > 0 || r.upserted;
      } catch (error) {
        // The fact exists with an equal or higher version (stale event), or a concurrent first
        // insert of the same id won the race: one retry tells the two apart.
        if (!isDuplicateKey(error)) throw error;
      }
    }
    return false;
  }

  /** Raises counters to at least the given values ($max: order and repetition do not matter) and sets fields. */
  async raise(tenantId: string, naturalId: string, maxima: Record<string, number>, fields: Record<string, unknown> = {}, onInsert: Record<string, unknown> = {}): Promise<void> {
    const _id = FactTable.id(tenantId, naturalId);
    const update: Record<string, unknown> = { $max: maxima };
    if (Object.keys(fields).length) update['$set'] = fields;
    if (Object.keys(onInsert).length) update['$setOnInsert'] = onInsert;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.write(_id, () => this.updateOneScoped(tenantId, { _id }, update, true));
        return;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= 2) throw error;
      }
    }
  }

  async setFields(tenantId: string, naturalId: string, fields: Record<string, unknown>): Promise<void> {
    const _id = FactTable.id(tenantId, naturalId);
    await this.write(_id, () => this.updateOneScoped(tenantId, { _id }, { $set: fields }));
  }

  async get(tenantId: string, naturalId: string): Promise<FactDoc | null> {
    return this.findOneScoped(tenantId, { _id: FactTable.id(tenantId, naturalId) });
  }

  async where(tenantId: string, filter: Record<string, unknown>): Promise<FactDoc[]> {
    return this.findScoped(tenantId, filter);
  }

  async count(tenantId: string): Promise<number> {
    return this.countScoped(tenantId);
  }

  /**
   * Sums of counters per value of one field (or one total group), over facts matching equality
   * filters and a day range. Computed as counts of distinct (group, counter values) combinations
   * — one accumulator — then multiplied out here: FerretDB v1 returns only the first of several
   * $sum accumulators in one $group (the others come back 0), and counters are 0/1 or a few
   * values (ratings), so the combinations stay few. Real MongoDB gives the same result.
   */
  async sumBy(tenantId: string, match: Record<string, unknown>, range: { from: string; to: string }, groupField: string | undefined, sums: readonly string[]): Promise<GroupSums[]> {
    const id: Record<string, string> = Object.fromEntries(sums.map((f) => [f, `$${f}`]));
    if (groupField) id['__group'] = `$${groupField}`;
    const pipeline: PipelineStage[] = [
      { $match: { ...this.scope(tenantId, match, 'aggregate'), day: { $gte: range.from, $lte: range.to } } },
      { $group: { _id: id, n: { $sum: 1 } } },
    ];
    const rows = await this.model.aggregate<{ _id: Record<string, unknown>; n: number }>(pipeline).exec();
    const groups = new Map<string, { key: unknown; sums: Record<string, number> }>();
    for (const row of rows) {
      const key = groupField ? row._id['__group'] : null;
      const mapKey = JSON.stringify(key ?? null);
      let group = groups.get(mapKey);
      if (!group) {
        group = { key: key ?? null, sums: Object.fromEntries(sums.map((f) => [f, 0])) };
        groups.set(mapKey, group);
      }
      for (const field of sums) {
        const v = row._id[field];
        if (typeof v === 'number' && Number.isFinite(v)) group.sums[field] = (group.sums[field] ?? 0) + v * row.n;
      }
    }
    if (!groupField && groups.size === 0) groups.set('null', { key: null, sums: Object.fromEntries(sums.map((f) => [f, 0])) });
    return [...groups.values()];
  }

  /** The values of numeric fields per group (for medians and percentiles, which no portable $group computes). */
  async valuesBy(tenantId: string, match: Record<string, unknown>, range: { from: string; to: string }, groupField: string | undefined, fields: readonly string[]): Promise<{ key: unknown; values: Record<string, number | undefined> }[]> {
    const projection: Record<string, 1> = Object.fromEntries(fields.map((f) => [f, 1]));
    if (groupField) projection[groupField] = 1;
    const docs = await this.model
      .find({ ...this.scope(tenantId, match, 'find'), day: { $gte: range.from, $lte: range.to } }, projection)
      .lean<FactDoc[]>()
      .exec();
    return docs.map((doc) => ({
      key: groupField ? doc[groupField] : null,
      values: Object.fromEntries(fields.map((f) => [f, typeof doc[f] === 'number' ? doc[f] : undefined])),
    }));
  }

  /** Drops every fact of a tenant (rebuild). */
  async clear(tenantId: string): Promise<number> {
    return this.deleteScoped(tenantId, {});
  }

  /** Drops all facts of every tenant (rebuild of the whole store from the event history). */
  async clearAll(): Promise<void> {
    await this.model.collection.deleteMany({});
  }
}

/** The five fact tables of analytics, created together. */
export class FactTables {
  readonly appointments: FactTable;
  readonly surveys: FactTable;
  readonly conversations: FactTable;
  readonly reminders: FactTable;
  readonly messages: FactTable;

  constructor(connection: Connection) {
    this.appointments = new FactTable(connection, 'appointments', [{ facilityId: 1 }]);
    this.surveys = new FactTable(connection, 'surveys', [{ facilityId: 1 }]);
    this.conversations = new FactTable(connection, 'conversations', [{ contactId: 1 }]);
    this.reminders = new FactTable(connection, 'reminders', [{ kind: 1 }]);
    this.messages = new FactTable(connection, 'messages', [{ messageId: 1 }]);
  }

  all(): readonly FactTable[] {
    return [this.appointments, this.surveys, this.conversations, this.reminders, this.messages];
  }

  table(name: FactTableName): FactTable {
    switch (name) {
      case 'appointments':
        return this.appointments;
      case 'surveys':
        return this.surveys;
      case 'conversations':
        return this.conversations;
      case 'reminders':
        return this.reminders;
      case 'messages':
        return this.messages;
    }
  }

  async init(): Promise<void> {
    await Promise.all(this.all().map((t) => t.init()));
  }
}
