import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';

/**
 * Menu and FAQ content per tenant, in every supported language, edited through
 * the admin API. Not PHI: stored in clear.
 */
export interface FaqEntry {
  /** Short stable id: "hours", "parking"... Used in reply ids "faq:<id>". */
  id: string;
  /** Per language: list title (≤ 24 chars), answer, and words that suggest the question. */
  translations: Record<string, { title: string; answer: string; keywords: string[] }>;
}

interface FaqDoc extends TenantOwned {
  _id: string;
  entries: FaqEntry[];
  updatedAt: Date;
}

const schema = new Schema<FaqDoc>({ _id: String, tenantId: { type: String, required: true }, entries: { type: Schema.Types.Mixed, default: [] }, updatedAt: Date }, { versionKey: false, collection: 'faq' });
schema.plugin(tenantGuard);

/**
 * FAQ content is read on most free-text turns and edited rarely: each replica keeps a tenant's
 * entries for `cacheMs` (an edit made through this replica is seen at once, through another
 * within `cacheMs`), which saves a store round trip on those turns.
 */
export class FaqStore extends TenantRepository<FaqDoc> {
  private readonly cache = new Map<string, { entries: FaqEntry[]; until: number }>();

  constructor(
    connection: Connection,
    private readonly cacheMs = 0,
  ) {
    super(modelFor<FaqDoc>(connection, 'Faq', schema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  async get(tenantId: string): Promise<FaqEntry[]> {
    const now = Date.now();
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > now) return cached.entries;
    const entries = (await this.findOneScoped(tenantId, { _id: tenantId }))?.entries ?? [];
    this.remember(tenantId, entries, now);
    return entries;
  }
  async put(tenantId: string, entries: FaqEntry[]): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: tenantId }, { $set: { entries, updatedAt: new Date() } }, true);
    this.remember(tenantId, entries, Date.now());
  }
  private remember(tenantId: string, entries: FaqEntry[], now: number): void {
    if (this.cacheMs <= 0) return;
    // One entry per tenant served; expired ones are dropped as the map grows.
    if (this.cache.size >= 10_000) for (const [key, value] of this.cache) if (value.until <= now) this.cache.delete(key);
    this.cache.set(tenantId, { entries, until: now + this.cacheMs });
  }
}

const normalise = (s: string) =>
  s
    .toLocaleLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ');

/** The entry whose keywords best match a free-text question, if any matches at all. */
export function matchFaq(entries: readonly FaqEntry[], language: string, text: string): FaqEntry | undefined {
  const words = new Set(normalise(text).split(/\s+/).filter((w) => w.length > 2));
  let best: { entry: FaqEntry; score: number } | undefined;
  for (const entry of entries) {
    const t = entry.translations[language] ?? entry.translations['en'];
    if (!t) continue;
    const score = t.keywords.filter((k) => {
      const nk = normalise(k).trim();
      return nk.includes(' ') ? normalise(text).includes(nk) : words.has(nk);
    }).length;
    if (score > 0 && (!best || score > best.score)) best = { entry, score };
  }
  return best?.entry;
}
