import { AssignerProtocol, type Admin } from 'kafkajs';
import { kafkaClient } from '@careloop/testing';

/**
 * Waits until every named consumer group (ids after `groupPrefix`) is stable with partitions
 * assigned and, where it has committed offsets, has committed at least the end each partition
 * had when this call began. Until then an event of this run could wait behind older ones, or
 * reach a group that does not have its partitions yet, and a journey would time out for a
 * reason that is not the journey's. A group that never joins fails here, by name.
 *
 * The platform's new groups get the offsets of the file's start time committed before they join
 * (KAFKA_NEW_GROUPS_START_AT), so every partition has a committed offset to compare; the settling
 * pause after the groups are stable lets consumers start fetching before a journey begins.
 */
/** Time for consumers to start fetching once their group is stable. */
const SETTLE_MS = 3_000;

export async function waitForConsumersCaughtUp(brokers: string, groupPrefix: string, groups: readonly string[], timeoutMs: number): Promise<{ readonly ms: number }> {
  const admin = kafkaClient(brokers, 'e2e-catch-up').admin();
  await admin.connect();
  const began = Date.now();
  const ends = new Map<string, Map<number, number>>();
  const endsOf = async (topic: string): Promise<Map<number, number>> => {
    let known = ends.get(topic);
    if (!known) {
      known = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
      ends.set(topic, known);
    }
    return known;
  };
  try {
    for (;;) {
      const behind = await lagging(admin, groups.map((g) => `${groupPrefix}${g}`), endsOf);
      if (behind.length === 0) {
        // Stable is the coordinator's view; each consumer then looks up where its partitions without offsets end. Let it.
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        return { ms: Date.now() - began };
      }
      if (Date.now() - began > timeoutMs) {
        throw new Error(`consumer groups not ready after ${timeoutMs} ms: ${behind.map((b) => `${b.group.slice(groupPrefix.length)} ${b.why}`).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

async function lagging(admin: Admin, groupIds: readonly string[], endsOf: (topic: string) => Promise<Map<number, number>>): Promise<{ group: string; why: string }[]> {
  const behind: { group: string; why: string }[] = [];
  const { groups } = await admin.describeGroups([...groupIds]);
  for (const groupId of groupIds) {
    const group = groups.find((g) => g.groupId === groupId);
    const assignments = (group?.members ?? []).map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
    const topics = [...new Set(assignments.flatMap((a) => Object.keys(a)))];
    if (group?.state !== 'Stable' || topics.length === 0) {
      behind.push({ group: groupId, why: `not stable with partitions (${group?.state ?? 'unknown'})` });
      continue;
    }
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const offsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
      let lag = 0;
      for (const [partition, end] of await endsOf(topic)) {
        const at = Number(offsets.find((p) => p.partition === partition)?.offset ?? -1);
        if (at >= 0) lag += Math.max(0, end - at);
      }
      if (lag > 0) behind.push({ group: groupId, why: `${lag} behind on ${topic}` });
    }
  }
  return behind;
}
