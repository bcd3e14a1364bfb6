export { installInMemoryTracing, type InMemoryTracing } from './tracing';
export { waitFor, sleep, uniqueName, freePort } from './wait';
export { TopicTap, type TappedEvent, type TappedMeta } from './topic-tap';
export { TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from './groups';
export { ensureInfra, infraEnv, readInfraEnv, mongoUriFor, repoRoot, localInfraPids, type InfraEnv } from './infra';

// Throw-away Kafka brokers and Kafka helpers (tests and benchmarks). EphemeralKafka is the older name of ThrowawayKafka.
export {
  ThrowawayKafka,
  ThrowawayKafka as EphemeralKafka,
  kafkaClient,
  ensureTopics,
  warmGroupCoordinator,
  type ThrowawayKafkaOptions,
  type EnsureTopicsOptions,
} from './bench/throwaway-kafka';

// Benchmark support: processes under test, their CPU, metrics and MongoDB commands, reports.
export {
  BenchChild,
  stopAllBenchChildren,
  killAllBenchChildren,
  EXIT_WITH_PARENT_PRELOAD,
  type BenchChildOptions,
  type ChildReadyMessage,
} from './bench/child-process';
export { stopWhenAsked } from './bench/child-side';
export { processCpuSeconds, CpuMeter } from './bench/process-cpu';
export { BenchArgs, runBench, type BenchRun, type RunBenchOptions } from './bench/runner';
export { MetricsSnapshot, type LabelMatch } from './bench/prometheus';
export {
  MongoCommandMonitor,
  type MonitoredMongoClient,
  type MongoCommand,
  type MongoCommandTotals,
  type MongoCommandPeriod,
  type MongoCommandMonitorOptions,
} from './bench/mongo-commands';
export {
  newestCpuProfile,
  summariseCpuProfile,
  printCpuProfileSummary,
  cpuProfileArea,
  shortCpuProfileUrl,
  type CpuProfileFrame,
  type CpuProfileSummary,
  type CpuProfileSummaryOptions,
} from './bench/cpu-profile';
export { percentiles, formatNumber, formatMs, formatMsWithUnit, padCell, type Percentiles } from './bench/stats';
