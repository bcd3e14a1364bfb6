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

const EMPTY = Buffer.alloc(0);
/** Field 5 (`payload`), wire type 2: (5 << 3) | 2. */
const PAYLOAD_TAG = 42;

export function sealEnvelope<T>(
  definition: EventDefinition<T>,
  payload: T,
  options: PublishOptions,
  producer: string,
  /** A writer to reuse: its buffer stays allocated between calls (the hot path). */
  writer: BinaryWriter = new BinaryWriter(),
): { meta: EventMeta; bytes: Buffer } {
  if (!options.tenantId) throw new MissingTenantError(`An event for ${definition.topic}`);
  const envelope: EventEnvelope = {
    id: options.id ?? randomUUID(),
    type: definition.type,
    tenantId: options.tenantId,
    facilityId: options.facilityId ?? '',
    occurredAt: options.occurredAt ?? new Date(),
    causationId: options.causationId ?? '',
    correlationId: options.correlationId ?? '',
    producer,
    payload: EMPTY,
  };
  // The payload is encoded straight into the envelope's field 5 (length-delimited),
  // saving an intermediate buffer and a copy on the hot path.
  EventEnvelope.encode(envelope, writer);
  definition.codec.encode(payload, writer.uint32(PAYLOAD_TAG).fork()).join();
  const out = writer.finish();
  const { payload: _empty, ...meta } = envelope;
  return { meta: meta as EventMeta, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
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
