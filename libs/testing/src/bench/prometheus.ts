/** Which samples of a metric count: those whose labels include all of these, or those a predicate accepts. */
export type LabelMatch = Readonly<Record<string, string>> | ((labels: Readonly<Record<string, string>>) => boolean);

/** A snapshot of a service's Prometheus /metrics (text format), read from its ops port on 127.0.0.1. */
export class MetricsSnapshot {
  private constructor(private readonly samples: readonly { name: string; labels: Readonly<Record<string, string>>; value: number }[]) {}

  static async scrape(opsPort: number): Promise<MetricsSnapshot> {
    const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return MetricsSnapshot.parse(await res.text());
  }

  static parse(text: string): MetricsSnapshot {
    const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m?.[1] || m[3] === undefined) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) if (l[1]) labels[l[1]] = l[2] ?? '';
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return new MetricsSnapshot(samples);
  }

  /** Sum of every sample of `name` that `match` accepts (all of them by default). */
  sum(name: string, match: LabelMatch = {}): number {
    const accepts = typeof match === 'function' ? match : (labels: Readonly<Record<string, string>>) => Object.entries(match).every(([k, v]) => labels[k] === v);
    let total = 0;
    for (const s of this.samples) if (s.name === name && accepts(s.labels)) total += s.value;
    return total;
  }

  /** Mean of a histogram between two snapshots (from the start without `before`), and its count; undefined without observations. */
  static meanBetween(before: MetricsSnapshot | undefined, after: MetricsSnapshot, histogram: string, match: LabelMatch = {}): { mean: number; count: number } | undefined {
    const count = after.sum(`${histogram}_count`, match) - (before?.sum(`${histogram}_count`, match) ?? 0);
    const sum = after.sum(`${histogram}_sum`, match) - (before?.sum(`${histogram}_sum`, match) ?? 0);
    return count > 0 ? { mean: sum / count, count } : undefined;
  }
}
