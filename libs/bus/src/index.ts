export { KafkaEventBus, type EventBus, type KafkaBusOptions, type BusLogger } from './kafka-event-bus';
export { on, type ConsumerOptions, type EventConsumer, type EventHandler, type TopicHandler } from './consumer';
export type { EventMeta, PublishOptions, ReceivedEvent } from './envelope';
export { openEnvelope, sealEnvelope } from './envelope';
export { NonRetryableError, PoisonRecordError, PublishError, BusClosedError, MissingTenantError } from './errors';
export { InMemoryProcessedEvents, type ProcessedEventStore } from './processed-events';
export { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
export { topicConfigs, type TopicSettings } from './topic-provisioning';
export { nameBasedId } from './name-based-id';
