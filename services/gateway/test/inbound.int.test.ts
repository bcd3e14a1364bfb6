import { Topics, DeliveryStatus, type AccountAlert, type InboundMessage, type MessageStatus } from '@careloop/contracts';
import { infraEnv, TopicTap, waitFor } from '@careloop/testing';
import { signMetaPayload } from '../src/domain/signature';
import { APP_SECRET, fixtureBytes, startGateway, VERIFY_TOKEN, type GatewayUnderTest } from './support/gateway-harness';

const env = infraEnv();

describe('gateway inbound against real Kafka, FerretDB and Redis', () => {
  let gateway: GatewayUnderTest;
  let messages: TopicTap<InboundMessage>;
  let statuses: TopicTap<MessageStatus>;
  let alerts: TopicTap<AccountAlert>;

  beforeAll(async () => {
    gateway = await startGateway();
    const tenants = [gateway.tenants.spain, gateway.tenants.germany];
    [messages, statuses, alerts] = await Promise.all([
      TopicTap.start(env.KAFKA_BROKERS, Topics.inboundMessage, tenants),
      TopicTap.start(env.KAFKA_BROKERS, Topics.messageStatus, tenants),
      TopicTap.start(env.KAFKA_BROKERS, Topics.accountAlert, tenants),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([messages.stop(), statuses.stop(), alerts.stop()]);
    await gateway.stop();
  });

  it('answers the verify handshake only with the right token', async () => {
    const ok = await fetch(`${gateway.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(`${gateway.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`);
    expect(bad.status).toBe(403);
  });

  it('accepts every fixture and publishes what it carries, with tenant, facility and key', async () => {
    const inboundFixtures = [
      'text_unicode_name.json',
      'interactive_list_reply.json',
      'interactive_button_reply.json',
      'template_quick_reply_button.json',
      'image_with_caption.json',
      'location.json',
      'two_changes_two_messages.json',
      'unsupported_131051.json',
      'username_only_bsuid.json',
    ];
    for (const name of inboundFixtures) {
      const res = await gateway.post('whatsapp', fixtureBytes(name));
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
    }
    for (const name of ['statuses_sent_delivered_read.json', 'status_failed_131047.json', 'account_error_130429.json']) {
      expect((await gateway.post('whatsapp', fixtureBytes(name))).status).toBe(200);
    }
    expect((await gateway.post('messenger', fixtureBytes('messenger_text.json'))).status).toBe(200);

    // 8 fixtures with one message, one with three, plus Messenger: 12 inbound messages.
    const inbound = await messages.waitForCount(12);
    const ids = inbound.map((e) => e.payload.messageId).sort();
    expect(ids).toEqual(
      [
        'wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        'wamid.INBOUND-LIST-REPLY-0001',
        'wamid.INBOUND-BUTTON-REPLY-0001',
        'wamid.INBOUND-TEMPLATE-BUTTON-0001',
        'wamid.INBOUND-IMAGE-0001',
        'wamid.INBOUND-LOCATION-0001',
        'wamid.INBOUND-MULTI-0001',
        'wamid.INBOUND-MULTI-0002',
        'wamid.INBOUND-MULTI-0003',
        'wamid.INBOUND-UNSUPPORTED-0001',
        'wamid.INBOUND-BSUID-0001',
        'm_AbCdEfGhIjKlMnOp',
      ].sort(),
    );
    const jurgen = inbound.find((e) => e.payload.messageId === 'wamid.INBOUND-MULTI-0003');
    expect(jurgen?.meta).toMatchObject({ tenantId: gateway.tenants.germany, facilityId: 'berlin-mitte', producer: 'gateway', type: 'careloop.messaging.v1.InboundMessage' });
    expect(jurgen?.key).toBe('whatsapp:4915112345678');
    const lea = inbound.find((e) => e.payload.messageId === 'wamid.INBOUND-BSUID-0001');
    expect(lea?.key).toBe('whatsapp:ES.1502576394655843');
    expect(lea?.meta.tenantId).toBe(gateway.tenants.spain);

    const sts = await statuses.waitForCount(4);
    expect(sts.map((s) => s.payload.status).sort()).toEqual(
      [DeliveryStatus.DELIVERY_STATUS_SENT, DeliveryStatus.DELIVERY_STATUS_DELIVERED, DeliveryStatus.DELIVERY_STATUS_READ, DeliveryStatus.DELIVERY_STATUS_FAILED].sort(),
    );
    const [alert] = await alerts.waitForCount(1);
    expect(alert?.payload.errors[0]?.code).toBe(130429);

    const metrics = await (await fetch(`http://127.0.0.1:${gateway.running.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/careloop_gateway_account_errors_total\{[^}]*code="130429"[^}]*\} 1/);
  });

  it('publishes one event when the same message is delivered 5 times concurrently', async () => {
    const before = messages.received().length;
    const body = Buffer.from(
      fixtureBytes('text_unicode_name.json').toString('utf8').replace('wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', 'wamid.CONCURRENT-0001'),
    );
    const answers = await Promise.all(Array.from({ length: 5 }, () => gateway.post('whatsapp', body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await messages.waitForCount(before + 1);
    // Give any wrongly published duplicate time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(messages.received().filter((e) => e.payload.messageId === 'wamid.CONCURRENT-0001')).toHaveLength(1);
    // And a redelivery days later (Meta retries for 7 days) is still a duplicate.
    expect((await gateway.post('whatsapp', body)).status).toBe(200);
    // Even if Redis lost the key (flush, restart): the store's receipt backs it up.
    await gateway.running.context.redis?.del(`inbound:${gateway.tenants.spain}:whatsapp:wamid.CONCURRENT-0001`);
    expect((await gateway.post('whatsapp', body)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(messages.received().filter((e) => e.payload.messageId === 'wamid.CONCURRENT-0001')).toHaveLength(1);
  });

  it("after a Redis flush (its keys and its epoch gone), a redelivered recent message is still one event: the store's receipt decides", async () => {
    const sentAt = Math.floor(Date.now() / 1000) - 30;
    const body = Buffer.from(
      fixtureBytes('text_unicode_name.json')
        .toString('utf8')
        .replace('wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', 'wamid.AFTER-FLUSH-0001')
        .replace('"timestamp":"1763798400"', `"timestamp":"${sentAt}"`),
    );
    const count = () => messages.received().filter((e) => e.payload.messageId === 'wamid.AFTER-FLUSH-0001').length;
    expect((await gateway.post('whatsapp', body)).status).toBe(200);
    await waitFor('the first event', () => (count() === 1 ? true : undefined), 15_000);
    // The receipt is written behind the answer; give it its moment before Redis forgets.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const redis = gateway.running.context.redis;
    await redis?.del(`inbound:${gateway.tenants.spain}:whatsapp:wamid.AFTER-FLUSH-0001`, 'inbound-dedupe-epoch');
    expect((await gateway.post('whatsapp', body)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(count()).toBe(1);
  });

  it('answers every bad input with a 4xx and publishes nothing', async () => {
    const before = { m: messages.received().length, s: statuses.received().length };
    const original = fixtureBytes('text_unicode_name.json');
    const unique = (id: string) => Buffer.from(original.toString('utf8').replace('wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', id));
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(unique('wamid.BAD-RESER').toString('utf8'))).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    const proto = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"__proto__":{"polluted":true}}');
    const constructorPayload = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[],"constructor":{"prototype":{"polluted":true}}}]}');
    const oversized = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
    const cases: [string, () => Promise<{ status: number; json: unknown }>, number][] = [
      ['missing signature', () => gateway.post('whatsapp', unique('wamid.BAD-1'), null), 401],
      ['wrong signature', () => gateway.post('whatsapp', unique('wamid.BAD-2'), `sha256=${'0'.repeat(64)}`), 401],
      ['short signature', () => gateway.post('whatsapp', unique('wamid.BAD-3'), 'sha256=abc'), 401],
      ['sha1= header', () => gateway.post('whatsapp', unique('wamid.BAD-4'), `sha1=${'a'.repeat(40)}`), 401],
      ["another app's secret", () => gateway.post('whatsapp', unique('wamid.BAD-5'), signMetaPayload(unique('wamid.BAD-5'), 'another-apps-secret')), 401],
      ['re-serialised body (non-ASCII escaped) with the original signature', () => gateway.post('whatsapp', reserialised, signMetaPayload(unique('wamid.BAD-RESER'), APP_SECRET)), 401],
      ['oversized body', () => gateway.post('whatsapp', oversized, signMetaPayload(oversized, APP_SECRET)), 413],
      ['non-JSON body', () => gateway.post('whatsapp', 'this is not json'), 400],
      ['__proto__ payload', () => gateway.post('whatsapp', proto), 400],
      ['constructor.prototype payload', () => gateway.post('whatsapp', constructorPayload), 400],
      ['JSON that is not a webhook', () => gateway.post('whatsapp', '{"hello":"world"}'), 400],
      ['empty body', () => gateway.post('whatsapp', ''), 400],
      ['unknown phone number id', () => gateway.post('whatsapp', Buffer.from(unique('wamid.BAD-6').toString('utf8').replace('106540352242922', '999999999999999'))), 422],
      ['WhatsApp body on the Messenger route', () => gateway.post('messenger', unique('wamid.BAD-7')), 400],
    ];
    const results: string[] = [];
    for (const [what, send, expected] of cases) {
      const res = await send();
      results.push(`${what}: ${res.status}${res.status === expected ? '' : ` (expected ${expected})`}`);
    }
    expect(results.filter((r) => r.includes('expected'))).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(messages.received().length).toBe(before.m);
    expect(statuses.received().length).toBe(before.s);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.running.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/careloop_gateway_unknown_endpoint_total\{[^}]*\} 1/);
    expect(metrics).not.toMatch(/careloop_gateway_webhooks_total\{[^}]*outcome="unavailable"/);
  });
});
