import { randomUUID } from 'node:crypto';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { EventEnvelope, type EventDefinition } from '@careloop/contracts';
import { MissingTenantError, PoisonRecordError } from './errors';

/** Metadata every event carries besides its payload. */
export interface EventMeta {
  readonly id: string;
  readonly type: string;
  readonly tenantId: string;
  readonly facilityId: string;
  readonly occurredAt: Date;
  readonly causationId: string;
  readonly correlationId: string;
  readonly producer: string;
}

/** An event as a consumer receives it. */
export interface ReceivedEvent<T> extends EventMeta {
  readonly payload: T;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
}

export interface PublishOptions {
  /** Record key: events with the same key keep their order. Never PHI (use ids). */
  readonly key: string;
  readonly tenantId: string;
  readonly facilityId?: string;
  readonly occurredAt?: Date;
  /** Defaults to a fresh UUID; pass a deterministic id to make a republish dedupe. */
  readonly id?: string;
  readonly causationId?: string;
  readonly correlationId?: string;
}

/** Field 5 (`payload`), wire type 2: (5 << 3) | 2. */
const PAYLOAD_TAG = 42;
const TAG = { id: 10, type: 18, tenantId: 26, occurredAt: 34, facilityId: 50, causationId: 58, correlationId: 66, producer: 74 } as const;
const TIMESTAMP_SECONDS_TAG = 8;
const TIMESTAMP_NANOS_TAG = 16;
const UINT32_LIMIT = 2 ** 32;

/**
 * The constant part of a topic's envelopes from one producer — the type and producer fields —
 * encoded once, not on every publish (two string encodings per event on the hot path).
 */
const constantFields = new Map<string, Map<string, Uint8Array>>();
function constantFieldsOf(type: string, producer: string): Uint8Array {
  // Nested maps keyed by the strings themselves: a composite key would be a new string (and a
  // new hash) on every call.
  let ofProducer = constantFields.get(producer);
  if (!ofProducer) {
    ofProducer = new Map();
    constantFields.set(producer, ofProducer);
  }
  let bytes = ofProducer.get(type);
  if (!bytes) {
    const w = new BinaryWriter();
    if (type !== '') w.uint32(TAG.type).string(type);
    if (producer !== '') w.uint32(TAG.producer).string(producer);
    bytes = w.finish();
    ofProducer.set(type, bytes);
  }
  return bytes;
}

/**
 * Encodes an `EventEnvelope` (careloop.events.v1) with the payload written straight into field 5.
 * Field by field what the generated `EventEnvelope.encode` writes (the fields in another order,
 * which protobuf allows); the envelope tests decode it with the generated code. Hand-written
 * because it is the bus's hot path: no intermediate payload buffer, no Timestamp object, no int64
 * conversion, the constant fields encoded once.
 */
export function sealEnvelope<T>(
  definition: EventDefinition<T>,
  payload: T,
  options: PublishOptions,
  producer: string,
  /** A writer to reuse: its buffer stays allocated between calls (the hot path). */
  writer: BinaryWriter = new BinaryWriter(),
): { meta: EventMeta; bytes: Buffer } {
  if (!options.tenantId) throw new MissingTenantError(`An event for ${definition.topic}`);
  const meta: EventMeta = {
    id: options.id ?? randomUUID(),
    type: definition.type,
    tenantId: options.tenantId,
    facilityId: options.facilityId ?? '',
    occurredAt: options.occurredAt ?? new Date(),
    causationId: options.causationId ?? '',
    correlationId: options.correlationId ?? '',
    producer,
  };
  if (meta.id !== '') writer.uint32(TAG.id).string(meta.id);
  writer.uint32(TAG.tenantId).string(meta.tenantId);
  writer.raw(constantFieldsOf(meta.type, producer));
  writeTimestamp(writer, meta.occurredAt);
  if (meta.facilityId !== '') writer.uint32(TAG.facilityId).string(meta.facilityId);
  if (meta.causationId !== '') writer.uint32(TAG.causationId).string(meta.causationId);
  if (meta.correlationId !== '') writer.uint32(TAG.correlationId).string(meta.correlationId);
  definition.codec.encode(payload, writer.uint32(PAYLOAD_TAG).fork()).join();
  const out = writer.finish();
  return { meta, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

/** google.protobuf.Timestamp as field 4; seconds as a plain varint while they fit in 32 bits (until 2106). */
function writeTimestamp(writer: BinaryWriter, at: Date): void {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('occurredAt is an invalid date');
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  writer.uint32(TAG.occurredAt).fork();
  if (seconds !== 0) {
    if (seconds > 0 && seconds < UINT32_LIMIT) writer.uint32(TIMESTAMP_SECONDS_TAG).uint32(seconds);
    else writer.uint32(TIMESTAMP_SECONDS_TAG).int64(seconds);
  }
  if (nanos !== 0) writer.uint32(TIMESTAMP_NANOS_TAG).int32(nanos);
  writer.join();
}

/** Decodes a record value; anything that is not a well-formed envelope of the expected type is poison. */
export function openEnvelope<T>(definition: EventDefinition<T>, bytes: Buffer | null): { meta: EventMeta; payload: T } {
  if (!bytes || bytes.length === 0) throw new PoisonRecordError('empty record value');
  let envelope: EventEnvelope;
  try {
    envelope = EventEnvelope.decode(bytes);
  } catch (cause) {
    throw new PoisonRecordError('record value is not an event envelope', { cause });
  }
  if (!envelope.id) throw new PoisonRecordError('envelope has no id');
  if (!envelope.tenantId) throw new PoisonRecordError('envelope has no tenant');
  if (envelope.type !== definition.type) {
    throw new PoisonRecordError(`envelope type ${envelope.type || '(none)'} is not ${definition.type}`);
  }
  let payload: T;
  try {
    payload = definition.codec.decode(envelope.payload);
  } catch (cause) {
    throw new PoisonRecordError(`payload is not a valid ${definition.type}`, { cause });
  }
  const { payload: _bytes, occurredAt, ...rest } = envelope;
  return { meta: { ...rest, occurredAt: occurredAt ?? new Date(0) }, payload };
}

/** Best-effort peek at an envelope's identity, for dead letters of undecodable records. */
export function peekEnvelope(bytes: Buffer | null): Partial<Pick<EventMeta, 'id' | 'type' | 'tenantId'>> {
  if (!bytes) return {};
  try {
    const e = EventEnvelope.decode(bytes);
    return { id: e.id, type: e.type, tenantId: e.tenantId };
  } catch {
    return {};
  }
}
