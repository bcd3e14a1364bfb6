import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import { DeadLetter, type EventDefinition } from '@careloop/contracts';
import { openEnvelope, peekEnvelope, type ReceivedEvent } from './envelope';
import { NonRetryableError, describeCause } from './errors';
import type { BusMetrics } from './metrics';
import type { ProcessedEventStore } from './processed-events';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import { withProcessSpan } from './tracing';
import type { BusLogger } from './kafka-event-bus';

export type EventHandler<T> = (event: ReceivedEvent<T>) => Promise<void>;

export interface TopicHandler {
  readonly definition: EventDefinition<unknown>;
  readonly handle: EventHandler<unknown>;
}

/** Binds a handler to an event definition, keeping the payload type. */
export function on<T>(definition: EventDefinition<T>, handle: EventHandler<T>): TopicHandler {
  return { definition: definition, handle: handle as EventHandler<unknown> };
}

export interface ConsumerOptions {
  /** Consumer group id; one per service and purpose, e.g. "routing.turns". */
  readonly group: string;
  readonly handlers: readonly TopicHandler[];
  /**
   * Dedupe record of handled event ids. Without it the consumer is
   * at-least-once; with it a redelivered event is skipped.
   */
  readonly processed?: ProcessedEventStore;
  readonly retry?: Partial<RetryPolicy>;
  /** Partitions handled in parallel (order is kept within each). */
  readonly partitionsConcurrently?: number;
  /**
   * Records of different keys handled in parallel within one partition's batch (default 1:
   * strictly one at a time). Order is kept per key, which is all a keyed topic promises; an
   * offset is committed only once it and every record before it were handled, so a crash
   * re-delivers whatever was in flight (handlers are idempotent; the dedupe record skips it).
   */
  readonly keysConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** A new group starts at the earliest offset (default) so nothing published before it is lost. */
  readonly fromBeginning?: boolean;
  /**
   * Partitions this group has no offsets for start at the first record written at or after
   * this time (set by the bus's `newGroupsStartAt`): a test run reads its own events, not the
   * cluster's history, and misses none published while its consumers were joining.
   */
  readonly newGroupsFrom?: Date;
  /** Called after an event is handled and marked, before its offset is committed. */
  readonly onProcessed?: (event: ReceivedEvent<unknown>) => Promise<void>;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** Finishes the event in hand, commits what was handled, leaves the group. */
  stop(): Promise<void>;
}

interface ConsumerDeps {
  readonly metrics: BusMetrics;
  readonly logger: BusLogger | undefined;
  readonly deadLetter: (topic: string, message: Message) => Promise<void>;
  readonly onStopped: (consumer: KafkaEventConsumer) => void;
}

/** Raised inside the batch loop when the consumer is stopping or lost the partition. */
class Abandoned extends Error {}

export class KafkaEventConsumer implements EventConsumer {
  private readonly consumer: Consumer;
  private readonly handlers: ReadonlyMap<string, TopicHandler>;
  private readonly retry: RetryPolicy;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly deps: ConsumerDeps,
  ) {
    const handlers = new Map<string, TopicHandler>();
    for (const handler of options.handlers) {
      if (handlers.has(handler.definition.topic)) throw new Error(`Two handlers for ${handler.definition.topic} in group ${options.group}`);
      handlers.set(handler.definition.topic, handler);
    }
    this.handlers = handlers;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.consumer = kafka.consumer({
      groupId: options.group,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    const positions = this.options.newGroupsFrom ? await this.newPartitionPositions(this.options.newGroupsFrom) : new Map<string, string>();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.handlers.keys()], fromBeginning: this.options.fromBeginning ?? true });
    if (positions.size > 0) {
      // kafkajs emits the join synchronously after the group's sync and before its first fetch, so a
      // seek here decides where those partitions start (and is committed like any position). Only
      // on the first join: by a later rebalance the group has offsets of its own.
      const stopListening = this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        stopListening();
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) {
            const offset = positions.get(`${topic}:${partition}`);
            if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
          }
        }
      });
    }
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * For each partition the group has no offset for, the offset of `from`, keyed `topic:partition`.
   * Applied by seeking when the group is joined — not committed beforehand through kafkajs's
   * admin `setOffsets`, which joins the group with a throw-away consumer and costs one fetch wait
   * (5 s) per topic.
   */
  private async newPartitionPositions(from: Date): Promise<Map<string, string>> {
    const positions = new Map<string, string>();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = [...this.handlers.keys()];
      const committed = await admin.fetchOffsets({ groupId: this.options.group, topics });
      for (const { topic, partitions } of committed) {
        const missing = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
        if (missing.size === 0) continue;
        for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, from.getTime())) {
          if (missing.has(p.partition)) positions.set(`${topic}:${p.partition}`, p.offset);
        }
      }
    } finally {
      await admin.disconnect();
    }
    return positions;
  }

  stop(): Promise<void> {
    this.stopping = true;
    // kafkajs waits for the running batch, commits resolved offsets, leaves the group.
    this.stopped ??= this.consumer.disconnect().finally(() => this.deps.onStopped(this));
    return this.stopped;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const handler = this.handlers.get(batch.topic);
    if (!handler) return;
    const alive = () => !this.stopping && payload.isRunning() && !payload.isStale();
    const heartbeat = () => payload.heartbeat();
    // kafkajs heartbeats only when asked: a record whose handler takes longer than the session
    // timeout (a send paced for seconds, a slow store) would cost the member its partitions and
    // stop the whole group while it rejoins. So heartbeat on a timer while the batch runs
    // (kafkajs sends at most one per heartbeatInterval); a failure means a rebalance, which
    // alive() notices.
    const beating = setInterval(() => {
      heartbeat().catch(() => undefined);
    }, 1_000);
    try {
      await this.handleBatchRecords(payload, handler, alive, heartbeat);
    } finally {
      clearInterval(beating);
    }
  }

  private async handleBatchRecords(payload: EachBatchPayload, handler: TopicHandler, alive: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const { batch } = payload;
    const alreadyDone = await this.findProcessed(batch.messages);
    const handle = (message: KafkaMessage) => this.handleRecord(handler, batch.topic, batch.partition, message, alreadyDone, alive, heartbeat);
    try {
      const lanes = this.options.keysConcurrently ?? 1;
      if (lanes > 1 && batch.messages.length > 1) {
        await this.handleByKey(batch.messages, lanes, handle, (offset) => payload.resolveOffset(offset), alive, heartbeat);
      } else {
        for (const message of batch.messages) {
          if (!alive()) break;
          await handle(message);
          payload.resolveOffset(message.offset);
          await heartbeat();
        }
      }
    } catch (error) {
      if (!(error instanceof Abandoned)) throw error;
    }
    await payload.commitOffsetsIfNecessary();
  }

  /**
   * One lane per key, `lanes` of them running at once; each lane handles its records in order.
   * Offsets resolve as a contiguous prefix: a fast key never commits past a slow one's record.
   */
  private async handleByKey(
    messages: readonly KafkaMessage[],
    lanes: number,
    handle: (message: KafkaMessage) => Promise<void>,
    resolveOffset: (offset: string) => void,
    alive: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const byKey = new Map<string, number[]>();
    messages.forEach((message, i) => {
      const key = message.key?.toString('latin1') ?? '';
      const lane = byKey.get(key);
      if (lane) lane.push(i);
      else byKey.set(key, [i]);
    });
    const waiting = [...byKey.values()];
    const done = new Array<boolean>(messages.length).fill(false);
    let resolvedUpTo = 0;
    let abandoned = false;
    const advance = () => {
      while (resolvedUpTo < messages.length && done[resolvedUpTo]) {
        const message = messages[resolvedUpTo];
        if (message) resolveOffset(message.offset);
        resolvedUpTo += 1;
      }
    };
    const work = async (): Promise<void> => {
      for (let lane = waiting.shift(); lane !== undefined; lane = waiting.shift()) {
        for (const i of lane) {
          const message = messages[i];
          if (abandoned || !alive() || !message) return;
          await handle(message);
          done[i] = true;
          advance();
          await heartbeat();
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(lanes, waiting.length) }, () => work().catch((error: unknown) => {
      // One lane giving up (stopping, lost partition) stops the others at their next record.
      abandoned = true;
      throw error;
    })));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async findProcessed(messages: readonly KafkaMessage[]): Promise<ReadonlySet<string>> {
    if (!this.options.processed || messages.length === 0) return new Set();
    const events = messages.flatMap((m) => {
      const id = peekEnvelope(m.value).id;
      const producedAt = Number(m.timestamp);
      return id ? [{ id, ...(Number.isFinite(producedAt) && producedAt > 0 ? { producedAt } : {}) }] : [];
    });
    return this.options.processed.findProcessed(this.options.group, events);
  }

  private async handleRecord(
    handler: TopicHandler,
    topic: string,
    partition: number,
    message: KafkaMessage,
    alreadyDone: ReadonlySet<string>,
    alive: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const { group } = this.options;
    let event: ReceivedEvent<unknown>;
    try {
      const opened = openEnvelope(handler.definition, message.value);
      event = { ...opened.meta, payload: opened.payload, topic, partition, offset: message.offset, key: message.key?.toString() ?? null };
    } catch (error) {
      await this.sendToDeadLetter(topic, partition, message, error, 0);
      return;
    }
    if (alreadyDone.has(event.id)) {
      this.deps.metrics.consumed(topic, group, 'duplicate');
      return;
    }
    const attributes = { 'messaging.message.id': event.id, 'messaging.destination.partition.id': String(partition), 'messaging.kafka.offset': Number(message.offset), 'careloop.tenant': event.tenantId };
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await withProcessSpan(topic, group, message.headers ?? ({}), { ...attributes, 'careloop.attempt': attempt }, () => handler.handle(event));
        this.deps.metrics.handled(topic, group, (performance.now() - started) / 1000);
        break;
      } catch (error) {
        const final = error instanceof NonRetryableError || attempt >= this.retry.maxAttempts;
        this.deps.logger?.warn(
          { topic, partition, offset: message.offset, eventId: event.id, attempt, final, err: { name: errorName(error), message: describeCause(error) } },
          'event handler failed',
        );
        if (final) {
          await this.sendToDeadLetter(topic, partition, message, error, attempt);
          return;
        }
        this.deps.metrics.consumed(topic, group, 'retried');
        await this.pause(backoffDelayMs(this.retry, attempt), alive, heartbeat);
      }
    }
    if (this.options.processed) await this.options.processed.markProcessed(group, event.id, event.tenantId);
    this.deps.metrics.consumed(topic, group, 'processed');
    if (this.options.onProcessed) await this.options.onProcessed(event);
  }

  /** Waits out a backoff while keeping the group session alive; gives up the record if stopping. */
  private async pause(ms: number, alive: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!alive()) throw new Abandoned();
      await sleep(Math.min(250, until - Date.now()));
      await heartbeat();
    }
    if (!alive()) throw new Abandoned();
  }

  private async sendToDeadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number): Promise<void> {
    const peek = peekEnvelope(message.value);
    const reason = describeCause(error);
    const deadLetter = DeadLetter.encode({
      sourceTopic: topic,
      sourcePartition: partition,
      sourceOffset: message.offset,
      consumerGroup: this.options.group,
      reason,
      errorType: errorName(error),
      attempts,
      failedAt: new Date(),
      originalKey: message.key ?? Buffer.alloc(0),
      originalValue: message.value ?? Buffer.alloc(0),
      eventId: peek.id ?? '',
      eventType: peek.type ?? '',
      tenantId: peek.tenantId ?? '',
    }).finish();
    // A dead letter that cannot be written must not be skipped: the throw
    // leaves the offset unresolved and the record comes back.
    await this.deps.deadLetter(topic, {
      key: message.key,
      value: Buffer.from(deadLetter),
      headers: {
        ...(message.headers ?? {}),
        'careloop-dlq-reason': reason.slice(0, 1_000),
        'careloop-dlq-attempts': String(attempts),
        'careloop-dlq-source': `${topic}/${partition}/${message.offset}`,
        'careloop-dlq-group': this.options.group,
      },
    });
    this.deps.metrics.consumed(topic, this.options.group, 'dead_lettered');
    this.deps.logger?.error({ topic, partition, offset: message.offset, eventId: peek.id, attempts, errorType: errorName(error) }, 'event sent to dead-letter topic');
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
