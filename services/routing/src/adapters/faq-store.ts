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

export class FaqStore extends TenantRepository<FaqDoc> {
  constructor(connection: Connection) {
    super(modelFor<FaqDoc>(connection, 'Faq', schema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  async get(tenantId: string): Promise<FaqEntry[]> {
    return (await this.findOneScoped(tenantId, { _id: tenantId }))?.entries ?? [];
  }
  async put(tenantId: string, entries: FaqEntry[]): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: tenantId }, { $set: { entries, updatedAt: new Date() } }, true);
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
