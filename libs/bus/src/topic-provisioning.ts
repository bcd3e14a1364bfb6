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

/** Creates whatever is missing; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, definitions: readonly EventDefinition<unknown>[], settings?: TopicSettings): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topicConfigs(definitions, settings).filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (error) {
    // Another replica may have created them at the same moment.
    if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
  }
}
