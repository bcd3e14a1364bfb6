import { Kafka, logLevel as KafkaLogLevel, type Admin, type KafkaConfig, type Producer, type LogEntry, type Message } from 'kafkajs';
import type { Span } from '@opentelemetry/api';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { deadLetterTopic, type EventDefinition } from '@careloop/contracts';
import { sealEnvelope, type EventMeta, type PublishOptions } from './envelope';
import { BusClosedError, PublishError } from './errors';
import { endSpan, startPublishSpan } from './tracing';
import { KafkaEventConsumer, type ConsumerOptions, type EventConsumer } from './consumer';
import { BusMetrics } from './metrics';
import { ensureTopics, type TopicSettings } from './topic-provisioning';
import { MemoizedDefaultPartitioner } from './partitioner';
import type { Registry } from 'prom-client';

/** The bus as services see it; Kafka is one implementation. */
export interface EventBus {
  publish<T>(definition: EventDefinition<T>, payload: T, options: PublishOptions): Promise<EventMeta>;
  consumer(options: ConsumerOptions): EventConsumer;
  ensureTopics(definitions: readonly EventDefinition<unknown>[], settings?: TopicSettings): Promise<void>;
  /** True when a broker answered within the timeout. */
  isConnected(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface BusLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  /** The producing service's name, written into every envelope. */
  readonly service: string;
  readonly clientId?: string;
  readonly logger?: BusLogger;
  readonly metrics?: Registry;
  /** Records gathered into one produce request at most. */
  readonly maxBatchSize?: number;
  /** How long a record may wait for companions before its batch is sent. */
  readonly lingerMs?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Extra kafkajs settings (ssl, sasl) for production clusters. */
  readonly kafka?: Partial<Pick<KafkaConfig, 'ssl' | 'sasl'>>;
  /**
   * Prepended to every consumer group name. Two copies of the platform on one
   * cluster (a test run beside `npm start`, two CI jobs) must not share groups,
   * or each would take half of the other's partitions.
   */
  readonly groupPrefix?: string;
  /**
   * Where a consumer group without committed offsets starts when its consumer does not say:
   * the earliest offset (default: nothing published before a new deployment is lost) or the
   * latest (a test platform on a shared cluster, whose history belongs to other runs).
   */
  readonly newGroupsStartAt?: 'earliest' | 'latest' | Date;
}

/** A publish waiting for its batch's acknowledgement (one object per event: the hot path). */
class PendingRecord {
  readonly startedAt = performance.now();
  readonly acknowledged: Promise<EventMeta>;
  private settle!: (meta: EventMeta) => void;
  private fail!: (error: unknown) => void;

  constructor(
    readonly topic: string,
    readonly message: Message,
    readonly span: Span,
    private readonly meta: EventMeta,
  ) {
    this.acknowledged = new Promise<EventMeta>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  resolve(): void {
    this.settle(this.meta);
  }

  reject(error: unknown): void {
    this.fail(error);
  }
}

/**
 * kafkajs behind our EventBus. Publishes are gathered into batches (one
 * produce request for many records) and acknowledged by all in-sync replicas
 * (acks = -1) before the publish promise resolves: a caller that awaits
 * `publish` knows the event is durable. One batch is in flight at a time, so
 * records of one key keep their order even across retries.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly healthAdmin: Admin;
  private readonly metrics: BusMetrics;
  private readonly maxBatchSize: number;
  private readonly lingerMs: number;
  private readonly consumers = new Set<KafkaEventConsumer>();
  private readonly writer = new BinaryWriter();
  private pending: PendingRecord[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private producerConnected: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId ?? options.service,
      brokers: [...options.brokers],
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafka(entry),
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
      ...options.kafka,
    });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, createPartitioner: MemoizedDefaultPartitioner });
    this.healthAdmin = this.kafka.admin({ retry: { retries: 0 } });
    this.metrics = new BusMetrics(options.metrics);
    this.maxBatchSize = options.maxBatchSize ?? 500;
    this.lingerMs = options.lingerMs ?? 2;
  }

  get kafkaClient(): Kafka {
    return this.kafka;
  }

  async connect(): Promise<void> {
    await this.ensureProducer();
  }

  publish<T>(definition: EventDefinition<T>, payload: T, options: PublishOptions): Promise<EventMeta> {
    if (this.closed) return Promise.reject(new BusClosedError());
    const { meta, bytes } = sealEnvelope(definition, payload, options, this.options.service, this.writer);
    const { span, headers } = startPublishSpan(definition.topic, meta.id, meta.type, options.key !== '');
    const record = new PendingRecord(definition.topic, headers ? { key: options.key, value: bytes, headers } : { key: options.key, value: bytes }, span, meta);
    this.pending.push(record);
    this.scheduleFlush();
    return record.acknowledged;
  }

  /** Publishes a raw record (dead letters, replays): value and headers as given. */
  async publishRaw(topic: string, message: Message): Promise<void> {
    if (this.closed) throw new BusClosedError();
    await this.ensureProducer();
    try {
      await this.producer.send({ topic, acks: -1, messages: [message] });
    } catch (cause) {
      throw new PublishError(topic, { cause });
    }
  }

  consumer(options: ConsumerOptions): EventConsumer {
    if (this.closed) throw new BusClosedError();
    const group = `${this.options.groupPrefix ?? ''}${options.group}`;
    const startAt = this.options.newGroupsStartAt;
    const fromBeginning = options.fromBeginning ?? startAt !== 'latest';
    const newGroupsFrom = options.fromBeginning === undefined && startAt instanceof Date ? startAt : undefined;
    const consumer = new KafkaEventConsumer(this.kafka, { ...options, group, fromBeginning, ...(newGroupsFrom ? { newGroupsFrom } : {}) }, {
      metrics: this.metrics,
      logger: this.options.logger,
      deadLetter: (topic, message) => this.publishRaw(deadLetterTopic(topic), message),
      onStopped: (c) => this.consumers.delete(c),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async ensureTopics(definitions: readonly EventDefinition<unknown>[], settings?: TopicSettings): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, definitions, settings);
    } finally {
      await admin.disconnect();
    }
  }

  async isConnected(timeoutMs = 2_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const probe = (async () => {
      await this.healthAdmin.connect();
      const cluster = await this.healthAdmin.describeCluster();
      return cluster.brokers.length > 0;
    })().catch(() => false);
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops consumers (they finish in-flight work and commit), flushes, disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    this.closed = true;
    await this.flushAll();
    await Promise.allSettled([this.producer.disconnect(), this.healthAdmin.disconnect()]);
  }

  private ensureProducer(): Promise<void> {
    this.producerConnected ??= this.producer.connect().catch((error: unknown) => {
      this.producerConnected = undefined;
      throw error;
    });
    return this.producerConnected;
  }

  private scheduleFlush(): void {
    if (this.inFlight) return; // the in-flight batch's completion triggers the next one
    if (this.pending.length >= this.maxBatchSize) {
      this.clearTimer();
      this.startFlush();
    } else {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.startFlush();
      }, this.lingerMs);
    }
  }

  private clearTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private startFlush(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatchSize);
    this.inFlight = this.sendBatch(batch).finally(() => {
      this.inFlight = undefined;
      if (this.pending.length > 0) this.scheduleFlush();
    });
  }

  private async flushAll(): Promise<void> {
    this.clearTimer();
    while (this.inFlight || this.pending.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.startFlush();
    }
  }

  private async sendBatch(batch: PendingRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const record of batch) {
      const messages = byTopic.get(record.topic) ?? [];
      messages.push(record.message);
      byTopic.set(record.topic, messages);
    }
    try {
      await this.ensureProducer();
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      const now = performance.now();
      for (const record of batch) {
        this.metrics.published(record.topic, (now - record.startedAt) / 1000);
        endSpan(record.span);
        record.resolve();
      }
    } catch (cause) {
      for (const record of batch) {
        const error = new PublishError(record.topic, { cause });
        this.metrics.publishFailed(record.topic);
        endSpan(record.span, error);
        record.reject(error);
      }
    }
  }

  private logKafka(entry: LogEntry): void {
    const logger = this.options.logger;
    if (!logger) return;
    const { message, ...rest } = entry.log;
    const fields = { component: 'kafkajs', namespace: entry.namespace, ...pick(rest, ['broker', 'clientId', 'groupId', 'error', 'retryCount', 'retryTime']) };
    switch (entry.level) {
      case KafkaLogLevel.ERROR:
        logger.error(fields, message);
        break;
      case KafkaLogLevel.WARN:
        logger.warn(fields, message);
        break;
      case KafkaLogLevel.INFO:
        logger.info(fields, message);
        break;
      default:
        logger.debug(fields, message);
    }
  }
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
