import { ALL_EVENTS, deadLetterTopic, defineEvent, InboundMessage } from '@careloop/contracts';

describe('topic registry', () => {
  it('names every topic <domain>.<entity>.v<major>, once, with a distinct type', () => {
    const topics = ALL_EVENTS.map((e) => e.topic);
    expect(new Set(topics).size).toBe(topics.length);
    for (const e of ALL_EVENTS) {
      expect(e.topic).toMatch(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v\d+$/);
      expect(e.type).toMatch(/^careloop\.[a-z]+\.v\d+\.[A-Z][A-Za-z]+$/);
      expect(e.partitions).toBeGreaterThan(0);
    }
    expect(deadLetterTopic('messaging.inbound-message.v1')).toBe('messaging.inbound-message.v1.dlq');
  });

  it('rejects badly named topics at definition time', () => {
    const bad = { type: 'x', codec: InboundMessage, partitions: 1, retentionHours: 1, keyedBy: '', description: '' };
    expect(() => defineEvent({ ...bad, topic: 'InboundMessages' })).toThrow(/must be named/);
    expect(() => defineEvent({ ...bad, topic: 'messaging.inbound' })).toThrow(/must be named/);
  });
});
