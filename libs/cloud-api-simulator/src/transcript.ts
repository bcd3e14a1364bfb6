export type Channel = 'whatsapp' | 'messenger';

interface EntryBase {
  /** Global order of events across all conversations. */
  readonly seq: number;
  readonly at: number;
  readonly channel: Channel;
  /** Business phone number id (WhatsApp) or Page id (Messenger). */
  readonly business: string;
  /** wa_id, business-scoped user id, or Messenger PSID. */
  readonly user: string;
}

export interface InboundEntry extends EntryBase {
  readonly kind: 'inbound';
  readonly messageId: string;
  readonly messageType: string;
  readonly userName: string;
  /** What the patient sent, rendered for reading. */
  readonly text: string;
  readonly payload: unknown;
}

export interface OutboundEntry extends EntryBase {
  readonly kind: 'outbound';
  readonly messageId: string;
  readonly messageType: string;
  /** What the patient sees, rendered: list rows, buttons and template text included. */
  readonly text: string;
  readonly payload: unknown;
}

export interface StatusEntry extends EntryBase {
  readonly kind: 'status';
  readonly messageId: string;
  readonly status: 'sent' | 'delivered' | 'read' | 'failed';
  readonly error?: { readonly code: number; readonly title: string };
}

/** The business marked a patient's message as read (optionally showing "typing…"). */
export interface BusinessReadEntry extends EntryBase {
  readonly kind: 'business-read';
  readonly messageId: string;
  readonly typing: boolean;
}

export type TranscriptEntry = InboundEntry | OutboundEntry | StatusEntry | BusinessReadEntry;
type NewEntry = TranscriptEntry extends infer E ? (E extends TranscriptEntry ? Omit<E, 'seq'> : never) : never;

/** Every conversation, both directions, in the order things happened. */
export class TranscriptStore {
  private readonly entries: TranscriptEntry[] = [];
  private readonly aliases = new Map<string, string>();
  private seq = 0;

  add(entry: NewEntry): TranscriptEntry {
    this.seq += 1;
    const stored = { ...entry, seq: this.seq } as TranscriptEntry;
    this.entries.push(stored);
    return stored;
  }

  /** Lets a user be looked up by another id too (a patient's business-scoped id and wa_id). */
  alias(otherId: string, userKey: string): void {
    if (otherId !== userKey) this.aliases.set(otherId, userKey);
  }

  /** A user's entries across channels and business numbers; `afterSeq` returns only newer ones. */
  forUser(userId: string, filter: { business?: string; afterSeq?: number } = {}): TranscriptEntry[] {
    const user = this.aliases.get(userId) ?? userId;
    return this.entries.filter(
      (e) => e.user === user && (filter.business === undefined || e.business === filter.business) && (filter.afterSeq === undefined || e.seq > filter.afterSeq),
    );
  }

  all(): readonly TranscriptEntry[] {
    return this.entries;
  }

  lastSeq(): number {
    return this.seq;
  }
}

export interface RenderOptions {
  /** Include sent/delivered/read lines (failures are always shown). Default true. */
  readonly statuses?: boolean;
  /** Name shown for the business side. Default "bot". */
  readonly businessName?: string;
}

/**
 * Plain-text transcript, e.g.
 * ```
 * 09:30:01  ← Lucía: Hola
 * 09:30:01  → bot: ¿En qué podemos ayudarte?
 *                  [ Book ‹sched:start› ] [ Talk to a person ‹route:agent› ]
 *           ✓✓ delivered wamid.HBgL…
 * ```
 * Times are UTC.
 */
export function renderTranscript(entries: readonly TranscriptEntry[], options: RenderOptions = {}): string {
  const showStatuses = options.statuses ?? true;
  const businessName = options.businessName ?? 'bot';
  const lines: string[] = [];
  for (const entry of entries) {
    const time = new Date(entry.at).toISOString().slice(11, 19);
    switch (entry.kind) {
      case 'inbound':
        lines.push(block(`${time}  ← ${entry.userName}: `, entry.text));
        break;
      case 'outbound':
        lines.push(block(`${time}  → ${businessName}: `, entry.text));
        break;
      case 'status':
        if (entry.status === 'failed') {
          lines.push(`${' '.repeat(10)}✗ failed ${entry.error ? `(${entry.error.code} ${entry.error.title}) ` : ''}${shortId(entry.messageId)}`);
        } else if (showStatuses) {
          const mark = entry.status === 'sent' ? '✓' : entry.status === 'delivered' ? '✓✓' : '✓✓ (blue)';
          lines.push(`${' '.repeat(10)}${mark} ${entry.status} ${shortId(entry.messageId)}`);
        }
        break;
      case 'business-read':
        if (showStatuses) lines.push(`${' '.repeat(10)}${businessName} read ${shortId(entry.messageId)}${entry.typing ? ' · typing…' : ''}`);
        break;
    }
  }
  return lines.join('\n');
}

function block(prefix: string, text: string): string {
  const [first = '', ...rest] = text.split('\n');
  const indent = ' '.repeat(prefix.length);
  return [prefix + first, ...rest.map((line) => indent + line)].join('\n');
}

/** Wamids of one user share their prefix; the tail is what tells them apart. */
function shortId(id: string): string {
  return id.length > 24 ? `…${id.slice(-14)}` : id;
}
