import { setting, z } from '@careloop/config';

export interface ServiceNeeds {
  readonly kafka?: boolean;
  readonly mongo?: boolean;
  readonly redis?: boolean;
  /** Field-level encryption of PHI (key rings from the environment). */
  readonly phi?: boolean;
  /** An HTTP server for the service's own API (separate from the ops port). */
  readonly http?: boolean;
  readonly grpc?: boolean;
}

export interface ServicePorts {
  readonly ops: number;
  readonly http?: number;
  readonly grpc?: number;
}

/**
 * The settings every service reads, required only where the service needs
 * them. Names are the env var names, so a validation error names exactly what
 * the operator must set.
 */
export function baseSettings(service: string, needs: ServiceNeeds, ports: ServicePorts) {
  const required = <T extends z.ZodType>(needed: boolean | undefined, schema: T) => (needed ? schema : schema.optional());
  return z.object({
    LOG_LEVEL: setting.logLevel(),
    OPS_PORT: setting.port(ports.ops),
    HTTP_PORT: setting.port(ports.http ?? 0),
    GRPC_PORT: setting.port(ports.grpc ?? 0),
    SHUTDOWN_TIMEOUT_MS: setting.positiveInt(20_000),
    KAFKA_BROKERS: required(needs.kafka, setting.hostPortList()),
    KAFKA_CLIENT_ID: z.string().default(service),
    /** Local runs create their topics; in Kubernetes Strimzi owns them. */
    KAFKA_TOPIC_PROVISIONING: setting.boolean(true),
    KAFKA_TOPIC_PARTITIONS: setting.positiveInt().optional(),
    KAFKA_REPLICATION_FACTOR: setting.positiveInt(1),
    /** Prepended to consumer group names so two copies of the platform can share a cluster. */
    KAFKA_CONSUMER_GROUP_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-" only').default(''),
    /**
     * Where a consumer group with no committed offsets starts: "earliest" (production), "latest",
     * or an ISO-8601 time (the first records written from then on: a test on a shared cluster).
     */
    KAFKA_NEW_GROUPS_START_AT: z
      .union([z.enum(['earliest', 'latest']), z.iso.datetime({ offset: true, message: 'must be earliest, latest or an ISO-8601 time' }).transform((t) => new Date(t))])
      .default('earliest'),
    MONGODB_URI: required(needs.mongo, setting.mongoUri()),
    /** Concurrent store operations per replica (the driver's pool size). */
    MONGODB_MAX_POOL_SIZE: setting.positiveInt(20),
    MONGODB_DATABASE: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name').default(`careloop_${service.replace(/-/g, '_')}`),
    REDIS_URL: required(needs.redis, setting.redisUrl()),
    PHI_ENCRYPTION_KEYS: required(needs.phi, setting.keyRing()),
    PHI_BLIND_INDEX_KEYS: required(needs.phi, setting.keyRing()),
  });
}

export type BaseConfig = z.infer<ReturnType<typeof baseSettings>>;
