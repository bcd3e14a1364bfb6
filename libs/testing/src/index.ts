export { installInMemoryTracing, type InMemoryTracing } from './tracing';
export { waitFor, sleep, uniqueName, freePort } from './wait';
export { TopicTap, type TappedEvent, type TappedMeta } from './topic-tap';
export { ensureInfra, infraEnv, readInfraEnv, mongoUriFor, repoRoot, EphemeralKafka, type InfraEnv } from './infra';
