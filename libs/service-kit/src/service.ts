import type { Server } from 'node:http';
import express from 'express';
import type { Connection } from 'mongoose';
import { ConfigError, loadConfig, z, type Env } from '@careloop/config';
import type { EventDefinition } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger, createMetricsRegistry, shutdownTelemetry, type Logger, type Registry } from '@careloop/observability';
import {
  connectMongo,
  connectRedis,
  FieldCipher,
  isMongoConnected,
  isRedisConnected,
  MongoProcessedEvents,
  redisKeyPrefix,
  type Redis,
} from '@careloop/store';
import { baseSettings, type BaseConfig, type ServiceNeeds, type ServicePorts } from './base-config';
import { GrpcServer } from './grpc-server';
import { boundPort, closeServer, createOpsApp, listen } from './ops-server';
import { Readiness } from './readiness';

/** What a service gets from the kit; absent parts were not declared in `needs`. */
export interface ServiceContext<C> {
  readonly name: string;
  readonly config: BaseConfig & C;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly readiness: Readiness;
  readonly bus: KafkaEventBus | undefined;
  readonly processedEvents: MongoProcessedEvents | undefined;
  readonly mongo: Connection | undefined;
  readonly redis: Redis | undefined;
  readonly cipher: FieldCipher | undefined;
  /** The service's public HTTP API (only when needs.http). Routes are added in `start`. */
  readonly http: express.Express | undefined;
  readonly grpc: GrpcServer | undefined;
  /** Work to undo at shutdown; hooks run in reverse order of registration. */
  onShutdown(hook: () => Promise<void>): void;
}

export interface ServiceDefinition<S extends z.ZodObject> {
  /** Short name: "gateway", "routing"... Used for the database, Redis prefix and telemetry. */
  readonly name: string;
  readonly needs: ServiceNeeds;
  readonly ports: ServicePorts;
  /** The service's own settings (env var names as keys). */
  readonly settings: S;
  /** Topics this service produces or consumes, created at start in local runs. */
  readonly topics?: readonly EventDefinition<unknown>[];
  /** Wires use cases, adapters, consumers and routes. Consumers are started by the service here. */
  start(context: ServiceContext<z.infer<S>>): Promise<void>;
}

export function defineService<S extends z.ZodObject>(definition: ServiceDefinition<S>): ServiceDefinition<S> {
  return definition;
}

export interface RunningService<C> {
  readonly context: ServiceContext<C>;
  readonly opsPort: number;
  readonly httpPort: number | undefined;
  readonly grpcPort: number | undefined;
  /** Graceful stop: not ready → stop intake → finish in-flight and commit → close stores. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly env?: Env;
  /** Overrides for tests: bind to port 0, a captured logger... */
  readonly logger?: Logger;
  readonly host?: string;
}

/**
 * The composition root every service shares: validate config, connect stores
 * and bus, serve ops endpoints, let the service wire itself, mark ready.
 * Tests call it directly; `runMain` adds signals and exit codes.
 */
export async function startService<S extends z.ZodObject>(definition: ServiceDefinition<S>, options: StartOptions = {}): Promise<RunningService<z.infer<S>>> {
  const schema = baseSettings(definition.name, definition.needs, definition.ports).extend(definition.settings.shape);
  const config = loadConfig(definition.name, schema, options.env ?? process.env) as BaseConfig & z.infer<S>;
  const logger = options.logger ?? createLogger({ service: definition.name, level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry(definition.name);
  const readiness = new Readiness();
  const hooks: (() => Promise<void>)[] = [];
  const host = options.host ?? '0.0.0.0';

  let bus: KafkaEventBus | undefined;
  let mongo: Connection | undefined;
  let redis: Redis | undefined;
  let opsServer: Server | undefined;
  let httpServer: Server | undefined;
  let grpc: GrpcServer | undefined;

  const closeAll = async (timeoutMs: number) => {
    readiness.markDraining();
    // 1. stop intake and finish in-flight: HTTP requests, gRPC calls, consumed events (their offsets commit)
    await Promise.allSettled([closeServer(httpServer), grpc?.shutdown(timeoutMs / 2), bus?.close()]);
    // 2. the service's own resources, last acquired first
    for (const hook of [...hooks].reverse()) {
      await hook().catch((error: unknown) => logger.error({ err: error }, 'shutdown hook failed'));
    }
    // 3. stores
    await Promise.allSettled([mongo?.close(), redis?.quit()]);
    await closeServer(opsServer);
  };

  try {
    const cipher = definition.needs.phi && config.PHI_ENCRYPTION_KEYS && config.PHI_BLIND_INDEX_KEYS
      ? new FieldCipher(config.PHI_ENCRYPTION_KEYS, config.PHI_BLIND_INDEX_KEYS)
      : undefined;

    opsServer = await listen(createOpsApp(readiness, metrics), config.OPS_PORT, host);

    const [connectedMongo, connectedRedis] = await Promise.all([
      definition.needs.mongo && config.MONGODB_URI ? connectMongo({ uri: config.MONGODB_URI, dbName: config.MONGODB_DATABASE, maxPoolSize: config.MONGODB_MAX_POOL_SIZE }) : undefined,
      definition.needs.redis && config.REDIS_URL ? connectRedis({ url: config.REDIS_URL, keyPrefix: redisKeyPrefix(definition.name) }) : undefined,
    ]);
    mongo = connectedMongo;
    redis = connectedRedis;
    if (mongo) {
      const m = mongo;
      readiness.add('mongodb', () => isMongoConnected(m));
    }
    if (redis) {
      const r = redis;
      readiness.add('redis', () => isRedisConnected(r));
    }

    let processedEvents: MongoProcessedEvents | undefined;
    if (definition.needs.kafka && config.KAFKA_BROKERS) {
      bus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, service: definition.name, clientId: config.KAFKA_CLIENT_ID, groupPrefix: config.KAFKA_CONSUMER_GROUP_PREFIX, newGroupsStartAt: config.KAFKA_NEW_GROUPS_START_AT, logger, metrics });
      const b = bus;
      readiness.add('kafka', () => b.isConnected());
      if (config.KAFKA_TOPIC_PROVISIONING && definition.topics?.length) {
        await bus.ensureTopics(definition.topics, {
          replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          ...(config.KAFKA_TOPIC_PARTITIONS ? { partitions: config.KAFKA_TOPIC_PARTITIONS } : {}),
        });
      }
      await bus.connect();
      if (mongo) {
        // With Redis, recent marks are answered there: one round trip per batch instead of a store lookup per event.
        processedEvents = new MongoProcessedEvents(mongo, undefined, redis ? { redis } : undefined);
        await processedEvents.init();
      }
    }

    const http = definition.needs.http ? express() : undefined;
    http?.disable('x-powered-by');
    grpc = definition.needs.grpc ? new GrpcServer(readiness) : undefined;

    const context: ServiceContext<z.infer<S>> = {
      name: definition.name,
      config,
      logger,
      metrics,
      readiness,
      bus,
      processedEvents,
      mongo,
      redis,
      cipher,
      http,
      grpc,
      onShutdown: (hook) => hooks.push(hook),
    };
    await definition.start(context);

    if (http) httpServer = await listen(http, config.HTTP_PORT, host);
    const grpcPort = grpc ? await grpc.listen(config.GRPC_PORT, host) : undefined;
    readiness.markStarted();
    const opsPort = boundPort(opsServer);
    const httpPort = httpServer ? boundPort(httpServer) : undefined;
    logger.info({ opsPort, httpPort, grpcPort }, `${definition.name} started`);

    let stopping: Promise<void> | undefined;
    return {
      context,
      opsPort,
      httpPort,
      grpcPort,
      stop: () => (stopping ??= closeAll(config.SHUTDOWN_TIMEOUT_MS)),
    };
  } catch (error) {
    await closeAll(5_000).catch(() => undefined);
    throw error;
  }
}

/** Exit code for a configuration the service cannot run with (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Entry point of a service process: start, then stop gracefully on SIGTERM or
 * SIGINT within SHUTDOWN_TIMEOUT_MS (exit 0), or exit 1 if it cannot.
 */
export function runMain<S extends z.ZodObject>(definition: ServiceDefinition<S>): void {
  startService(definition).then(
    (running) => {
      const { logger } = running.context;
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        logger.info({ signal }, 'shutting down');
        const deadline = setTimeout(() => {
          logger.error({ timeoutMs: running.context.config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
          process.exit(1);
        }, running.context.config.SHUTDOWN_TIMEOUT_MS);
        deadline.unref();
        running
          .stop()
          .then(() => shutdownTelemetry())
          .then(
            () => {
              logger.info('stopped');
              process.exit(0);
            },
            (error: unknown) => {
              logger.error({ err: error }, 'shutdown failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(EXIT_CONFIG);
      }
      process.stderr.write(`${definition.name} failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exit(1);
    },
  );
}
