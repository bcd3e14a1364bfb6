import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { health } from '@careloop/contracts';
import type { Readiness } from './readiness';

const { HealthService, HealthCheckResponse_ServingStatus: Status } = health;

/** Finds the repository's proto/ tree (for reflection), or PROTO_ROOT when set (container images). */
export function findProtoRoot(start = __dirname): string | undefined {
  if (process.env['PROTO_ROOT']) return process.env['PROTO_ROOT'];
  for (let dir = resolve(start); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'buf.yaml'))) return join(dir, 'proto');
  }
  return undefined;
}

export interface GrpcServiceRegistration {
  /** Fully qualified service name, e.g. "careloop.scheduling.v1.SlotService". */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** The .proto file that declares it, relative to proto/ (for reflection). */
  readonly protoFile: string;
}

/**
 * A grpc-js server with the standard health service (answering from the
 * service's readiness, so Kubernetes' native gRPC probes work) and server
 * reflection (so grpcurl and Postman can discover the API).
 */
export class GrpcServer {
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private readonly registered: GrpcServiceRegistration[] = [];
  private port = 0;

  constructor(private readonly readiness: Readiness) {}

  add(registration: GrpcServiceRegistration): void {
    this.server.addService(registration.definition, registration.implementation);
    this.registered.push(registration);
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    this.addHealth();
    this.addReflection();
    this.port = await new Promise<number>((ok, fail) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? fail(error) : ok(bound)));
    });
    return this.port;
  }

  get boundPort(): number {
    return this.port;
  }

  /** Lets running calls finish; forces after the deadline. */
  shutdown(deadlineMs: number): Promise<void> {
    return new Promise((resolveShutdown) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolveShutdown();
      }, deadlineMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolveShutdown();
      });
    });
  }

  private addHealth(): void {
    const known = new Set(['', ...this.registered.map((r) => r.name)]);
    const statusOf = async (service: string) => {
      if (!known.has(service)) return undefined;
      return (await this.readiness.report()).ready ? Status.SERVING : Status.NOT_SERVING;
    };
    this.server.addService(HealthService, {
      check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        statusOf(call.request.service)
          .then((status) =>
            status === undefined ? callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' }) : callback(null, { status }),
          )
          .catch((error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }));
      },
      list: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.readiness
          .report()
          .then((r) => {
            const status = r.ready ? Status.SERVING : Status.NOT_SERVING;
            callback(null, { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) });
          })
          .catch((error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }));
      },
      watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
        let last: number | undefined;
        const tick = () => {
          statusOf(call.request.service)
            .then((status) => {
              const s = status ?? Status.SERVICE_UNKNOWN;
              if (s !== last) call.write({ status: s });
              last = s;
            })
            .catch(() => undefined);
        };
        tick();
        const timer = setInterval(tick, 1_000);
        call.on('cancelled', () => clearInterval(timer));
        call.on('close', () => clearInterval(timer));
      },
    });
  }

  private addReflection(): void {
    const root = findProtoRoot();
    if (!root) return;
    const files = ['grpc/health/v1/health.proto', ...this.registered.map((r) => r.protoFile)];
    const definition = protoLoader.loadSync(files, { includeDirs: [root], keepCase: true, longs: String, enums: String, defaults: true });
    new ReflectionService(definition).addToServer(this.server);
  }
}
