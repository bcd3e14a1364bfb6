import type { Admin, ITopicConfig } from 'kafkajs';
import { deadLetterTopic, type EventDefinition } from '@careloop/contracts';

export interface TopicSettings {
  /** 1 for a local single broker; 3 in production. */
  readonly replicationFactor?: number;
  /** Dead letters are kept longer than events: someone has to look at them. */
  readonly deadLetterRetentionHours?: number;
  /** Overrides every definition's partition count (local runs need few). */
  readonly partitions?: number;
}

/** The topics (and their dead-letter topics) a set of events needs, as Kafka configs. */
export function topicConfigs(definitions: readonly EventDefinition<unknown>[], settings: TopicSettings = {}): ITopicConfig[] {
  const replicationFactor = settings.replicationFactor ?? 1;
  const dlqRetentionMs = String((settings.deadLetterRetentionHours ?? 30 * 24) * 3_600_000);
  return definitions.flatMap((d) => [
    {
      topic: d.topic,
      numPartitions: settings.partitions ?? d.partitions,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(d.retentionHours * 3_600_000) }],
    },
    {
      topic: deadLetterTopic(d.topic),
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: dlqRetentionMs }],
    },
  ]);
}

/** Creates whatever is missing (existing topics are left as they are), then waits for their leaders. */
export async function ensureTopics(admin: Admin, definitions: readonly EventDefinition<unknown>[], settings?: TopicSettings, leaderTimeoutMs = 30_000): Promise<void> {
  const wanted = topicConfigs(definitions, settings);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (error) {
      // Another replica may have created them at the same moment.
      if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
    }
  }
  // A topic another service is creating at this moment is listed before its partitions have
  // leaders; subscribing then fails ("This server does not host this topic-partition") —
  // seen when npm start boots seven services on a fresh broker.
  await waitForLeaders(admin, wanted.map((t) => t.topic), leaderTimeoutMs);
}

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 1_000)) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      if (metadata.length === topics.length && metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topics without a leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
