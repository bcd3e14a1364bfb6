import fc from 'fast-check';
import { EventEnvelope, InboundMessage, Topics } from '@careloop/contracts';
import { backoffDelayMs, MissingTenantError, openEnvelope, PoisonRecordError, sealEnvelope } from '@careloop/bus';
import { textMessage } from './fixtures/test-events';

describe('event envelope', () => {
  it('round-trips payload and metadata', () => {
    const occurredAt = new Date('2026-03-29T01:30:00Z');
    const { meta, bytes } = sealEnvelope(Topics.inboundMessage, textMessage('wamid.1', 'Hola'), { key: 'k', tenantId: 't1', facilityId: 'f1', occurredAt, correlationId: 'c' }, 'gateway');
    const opened = openEnvelope(Topics.inboundMessage, bytes);
    expect(opened.meta).toEqual(meta);
    expect(opened.meta).toMatchObject({ tenantId: 't1', facilityId: 'f1', producer: 'gateway', type: 'careloop.messaging.v1.InboundMessage', occurredAt });
    expect(opened.payload.content).toEqual({ $case: 'text', value: { body: 'Hola' } });
  });

  it('writes what the generated EventEnvelope encoder writes, for any metadata and time', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({ id: fc.uuid(), tenantId: text.filter((t) => t !== ''), facilityId: text, causationId: text, correlationId: text, producer: text, body: text }),
        // From before 1970 to after 2106 (where seconds no longer fit in 32 bits), with milliseconds.
        fc.integer({ min: -5_000_000_000_000, max: 9_000_000_000_000 }),
        (m, ms) => {
          const occurredAt = new Date(ms);
          const payload = textMessage('wamid.p', m.body);
          const { bytes } = sealEnvelope(Topics.inboundMessage, payload, { key: 'k', id: m.id, tenantId: m.tenantId, facilityId: m.facilityId, occurredAt, causationId: m.causationId, correlationId: m.correlationId }, m.producer);
          const generated = EventEnvelope.encode({ id: m.id, type: Topics.inboundMessage.type, tenantId: m.tenantId, occurredAt, payload: Buffer.from(InboundMessage.encode(payload).finish()), facilityId: m.facilityId, causationId: m.causationId, correlationId: m.correlationId, producer: m.producer }).finish();
          expect(EventEnvelope.decode(bytes)).toEqual(EventEnvelope.decode(generated));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses to publish without a tenant', () => {
    expect(() => sealEnvelope(Topics.inboundMessage, textMessage('w', 'x'), { key: 'k', tenantId: '' }, 'gateway')).toThrow(MissingTenantError);
  });

  it.each([
    ['an empty value', Buffer.alloc(0), /empty record/],
    ['bytes that are not protobuf', Buffer.from([0xff, 0xff, 0xff, 0xff]), /not an event envelope/],
    ['an envelope of another type', Buffer.from(EventEnvelope.encode({ id: 'x', type: 'careloop.other.v1.Thing', tenantId: 't', occurredAt: new Date(), payload: Buffer.alloc(0), facilityId: '', causationId: '', correlationId: '', producer: '' }).finish()), /is not careloop.messaging.v1.InboundMessage/],
    ['an envelope without tenant', Buffer.from(EventEnvelope.encode({ id: 'x', type: 'careloop.messaging.v1.InboundMessage', tenantId: '', occurredAt: new Date(), payload: Buffer.alloc(0), facilityId: '', causationId: '', correlationId: '', producer: '' }).finish()), /no tenant/],
  ])('treats %s as poison', (_what, bytes, reason) => {
    expect(() => openEnvelope(Topics.inboundMessage, bytes)).toThrow(PoisonRecordError);
    expect(() => openEnvelope(Topics.inboundMessage, bytes)).toThrow(reason);
  });
});

describe('retry backoff', () => {
  const policy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };
  it('grows exponentially within [ceiling/2, ceiling] and is capped', () => {
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(400);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(1_000);
    expect(backoffDelayMs(policy, 10, () => 0)).toBe(500);
  });
});
