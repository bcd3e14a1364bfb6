import { Metadata, type CallOptions, type Client, type ClientUnaryCall, type handleUnaryCall, type ServiceError } from '@grpc/grpc-js';

type RequestOf<H> = H extends handleUnaryCall<infer Req, unknown> ? Req : never;
type ResponseOf<H> = H extends handleUnaryCall<never, infer Res> ? Res : never;

export interface CallSettings {
  /** Fail the call after this long, so a slow peer cannot hold a turn forever. */
  readonly deadlineMs?: number;
  readonly metadata?: Metadata;
}

/**
 * A ts-proto server interface's unary methods as promises:
 * `PromiseClient<SchedulingServiceServer>` has `book(request): Promise<BookResponse>`.
 */
export type PromiseClient<Server> = {
  [K in keyof Server]: (request: RequestOf<Server[K]>, settings?: CallSettings) => Promise<ResponseOf<Server[K]>>;
};

type UnaryMethod = (
  request: unknown,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response: unknown) => void,
) => ClientUnaryCall;

/**
 * Wraps a generated grpc-js client so each unary method returns a promise.
 * `definition` is the generated `...Service` object, which names the methods.
 */
export function promiseClient<Server>(client: Client, definition: Readonly<Record<keyof Server & string, unknown>>): PromiseClient<Server> {
  const methods = client as unknown as Record<string, UnaryMethod | undefined>;
  const call = (method: string, request: unknown, settings: CallSettings = {}) =>
    new Promise((resolve, reject) => {
      const unary = methods[method];
      if (!unary) {
        reject(new Error(`gRPC client has no method ${method}`));
        return;
      }
      const options: CallOptions = settings.deadlineMs ? { deadline: Date.now() + settings.deadlineMs } : {};
      unary.call(client, request, settings.metadata ?? new Metadata(), options, (error, response) => (error ? reject(error) : resolve(response)));
    });
  const entries = Object.keys(definition).map((method) => [method, (request: unknown, settings?: CallSettings) => call(method, request, settings)]);
  return Object.fromEntries(entries) as PromiseClient<Server>;
}
