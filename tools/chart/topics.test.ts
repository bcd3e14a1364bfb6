/**
 * Topics as code: the Strimzi KafkaTopics (deploy/strimzi/kafka-topics.yaml) and the chart's
 * topic list (charts/careloop/files/topics.json) are renderings of the registry
 * (libs/contracts/src/topics.ts) through the renderer local provisioning uses; they cannot drift.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ALL_EVENTS, deadLetterTopic } from '@careloop/contracts';
import { STRIMZI_TOPICS_YAML, TOPICS_JSON, kafkaTopicName, registryTopics, staleFiles } from './topics';

interface KafkaTopic {
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

describe('topic renderings', () => {
  it('are current: run `npm run topics:strimzi` after changing libs/contracts/src/topics.ts', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('list exactly the registry’s topics and one dead-letter topic each', () => {
    const expected = ALL_EVENTS.flatMap((e) => [e.topic, deadLetterTopic(e.topic)]).sort();
    const strimzi = parseAllDocuments(readFileSync(STRIMZI_TOPICS_YAML, 'utf8')).map((d) => d.toJS() as KafkaTopic);
    expect(strimzi.map((t) => t.spec.topicName).sort()).toEqual(expected);
    const chart = JSON.parse(readFileSync(TOPICS_JSON, 'utf8')) as { name: string }[];
    expect(chart.map((t) => t.name).sort()).toEqual(expected);
  });

  it('carry each topic’s partitions and retention from the registry', () => {
    const strimzi = new Map(parseAllDocuments(readFileSync(STRIMZI_TOPICS_YAML, 'utf8')).map((d) => d.toJS() as KafkaTopic).map((t) => [t.spec.topicName, t]));
    for (const e of ALL_EVENTS) {
      const t = strimzi.get(e.topic);
      expect(t?.spec.partitions).toBe(e.partitions);
      expect(t?.spec.config['retention.ms']).toBe(String(e.retentionHours * 3_600_000));
      expect(t?.metadata).toMatchObject({ name: kafkaTopicName(e.topic), labels: { 'strimzi.io/cluster': 'careloop' } });
      expect(t?.spec.replicas).toBe(3);
      const dlq = strimzi.get(deadLetterTopic(e.topic));
      expect(dlq?.spec.partitions).toBe(1);
      expect(dlq?.spec.config['retention.ms']).toBe(String(30 * 24 * 3_600_000));
    }
  });

  it('give every KafkaTopic a distinct, valid Kubernetes name', () => {
    const names = registryTopics().map((t) => kafkaTopicName(t.name));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
