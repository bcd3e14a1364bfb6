export { installInMemoryTracing, type InMemoryTracing } from './tracing';
export { waitFor, sleep, uniqueName, freePort } from './wait';
export { ensureInfra, infraEnv, readInfraEnv, mongoUriFor, repoRoot, EphemeralKafka, type InfraEnv } from './infra';
