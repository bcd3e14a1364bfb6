import type { BinaryWriter } from '@bufbuild/protobuf/wire';

/** What the generated ts-proto message objects offer that the bus needs. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: Uint8Array, length?: number): T;
  fromPartial(object: DeepPartial<T>): T;
}

type Builtin = Date | ((...args: never[]) => unknown) | Uint8Array | string | number | boolean | undefined;
export type DeepPartial<T> = T extends Builtin
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepPartial<U>[]
    : T extends { $case: string; value: unknown }
      ? { $case: T['$case']; value?: DeepPartial<T['value']> }
      : T extends object
        ? { [K in keyof T]?: DeepPartial<T[K]> }
        : Partial<T>;

/**
 * One event kind on the bus: its topic, its protobuf type and how its records
 * are keyed. Defined once (topics.ts) next to the schemas and used by producers,
 * consumers, topic provisioning and the Helm/Strimzi topic rendering.
 */
export interface EventDefinition<T> {
  /** `<domain>.<entity>.v1`; dead letters go to `<topic>.dlq`. */
  readonly topic: string;
  /** Fully qualified protobuf message name, carried in the envelope. */
  readonly type: string;
  readonly codec: MessageCodec<T>;
  readonly partitions: number;
  readonly retentionHours: number;
  /** What the record key is (ordering guarantee), for readers of the registry. */
  readonly keyedBy: string;
  readonly description: string;
}

export const DEAD_LETTER_SUFFIX = '.dlq';

export function deadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

const TOPIC_NAME = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v\d+$/;

export function defineEvent<T>(definition: EventDefinition<T>): EventDefinition<T> {
  if (!TOPIC_NAME.test(definition.topic)) {
    throw new Error(`Topic "${definition.topic}" must be named <domain>.<entity>.v<major>`);
  }
  return Object.freeze(definition);
}
