import { createHmac } from 'node:crypto';
import { NonRetryableError } from '@careloop/bus';
import { AppointmentChangeKind, AppointmentStatus, crmApi } from '@careloop/contracts';
import type { ConnectorRegistry } from '../src/adapters/connector-registry';
import type { ConnectorStore } from '../src/adapters/connector-store';
import { CircuitBreaker } from '../src/adapters/fhir/circuit-breaker';
import { GuardedHttp } from '../src/adapters/fhir/guarded-http';
import type { PollSchedule } from '../src/adapters/poll-schedule';
import { LimiterRateGate } from '../src/adapters/rate-gate';
import { WebhookClient } from '../src/adapters/webhook-client';
import { InvalidConnectorError, TransientFhirError } from '../src/domain/errors';
import { renderTemplate } from '../src/domain/webhook-body';
import { ManageConnectors } from '../src/use-cases/manage-connectors';
import { SyncAppointment } from '../src/use-cases/sync-appointment';
import { FakeFhir } from './support/fake-fhir';
import { changed, connectionTo, depsWith, loopbackPolicy, received, snapshot } from './support/connection';

const SECRET = 'a-signing-secret-of-at-least-32-chars!';

describe('generic CRM webhooks', () => {
  let crm: FakeFhir;
  let answer = 200;
  beforeEach(async () => {
    crm = await FakeFhir.start();
    answer = 200;
    crm.intercept = (_req, res) => {
      res.writeHead(answer);
      res.end();
      return true;
    };
  });
  afterEach(() => crm.stop());

  function webhookConnection(template: string) {
    const base = connectionTo(crm.baseUrl);
    const webhook = new WebhookClient({ connectorId: 'tenant-a/crm', url: `${crm.baseUrl}/hooks`, secret: SECRET, ratePerSecond: 1_000, http: new GuardedHttp(loopbackPolicy, 2_000), breaker: new CircuitBreaker('crm', { failures: 100, cooldownMs: 1_000 }), rate: LimiterRateGate.memory() });
    return { ...base, connector: { ...base.connector, connectorId: 'crm', kind: 'webhook' as const, webhookTemplate: template, auth: { method: 'hmac' as const, signingSecret: SECRET } }, webhook };
  }

  it('POSTs the mapped body, HMAC-signed over timestamp and body, with a delivery id stable across retries', async () => {
    const template = JSON.stringify({ id: '{{appointment.appointmentId}}', state: '{{appointment.status}}', version: '{{appointment.version}}', note: 'Cita {{appointment.appointmentId}} ({{kind}})', missing: '{{appointment.nope}}' });
    const sync = new SyncAppointment(depsWith(webhookConnection(template)));
    const event = received(changed(snapshot({ version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat' }), AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED));
    await sync.execute(event);
    await sync.execute(event);
    expect(crm.requests).toHaveLength(2);
    const [first, second] = crm.requests;
    expect(first?.url).toBe('/fhir/hooks');
    expect(JSON.parse(first?.body ?? '')).toEqual({ id: 'appt-1', state: 'cancelled', version: 3, note: 'Cita appt-1 (cancelled)', missing: null });
    const sig = String(first?.headers['x-careloop-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig) ?? [];
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${first?.body}`).digest('hex'));
    expect(first?.headers['x-careloop-delivery']).toBe(second?.headers['x-careloop-delivery']);
    expect(crm.ofType('Appointment')).toHaveLength(0); // a webhook connector writes no FHIR
  });

  it('5xx is transient (retry, circuit), 4xx refuses the delivery (dead letter)', async () => {
    const sync = new SyncAppointment(depsWith(webhookConnection('')));
    answer = 503;
    await expect(sync.execute(received(changed(snapshot())))).rejects.toBeInstanceOf(TransientFhirError);
    answer = 400;
    const refused = sync.execute(received(changed(snapshot())));
    await expect(refused).rejects.toBeInstanceOf(NonRetryableError);
    await expect(refused).rejects.toThrow('webhook refused with HTTP 400');
  });

  it('templates keep value types and interpolate inside strings', () => {
    const view = { a: { n: 2, s: 'x', o: { k: true } } };
    expect(renderTemplate({ n: '{{a.n}}', o: '{{ a.o }}', s: 'v={{a.s}}/{{a.n}}', list: ['{{a.s}}', 1] }, view)).toEqual({ n: 2, o: { k: true }, s: 'v=x/2', list: ['x', 1] });
  });

  it('refuses webhook connectors with other flows, a short secret, a template that is not JSON, or no secret at all', async () => {
    const manage = new ManageConnectors({ get: () => Promise.resolve(undefined) } as unknown as ConnectorStore, {} as ConnectorRegistry, {} as PollSchedule, loopbackPolicy);
    const input = (o: Partial<crmApi.Connector>): crmApi.Connector => ({
      tenantId: 'tenant-a', connectorId: 'crm', kind: crmApi.ConnectorKind.CONNECTOR_KIND_WEBHOOK, baseUrl: 'http://127.0.0.1:9/hooks', enabled: true,
      flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT], ratePerSecond: 0, mrnSystem: '', import: undefined, auth: undefined, hasCredentials: false, updatedAt: undefined,
      webhook: { signingSecret: SECRET, bodyTemplate: '' }, ...o,
    });
    expect(manage.parse(input({})).auth).toEqual({ method: 'hmac', signingSecret: SECRET });
    expect(() => manage.parse(input({ flows: [crmApi.SyncFlow.SYNC_FLOW_OBSERVATIONS_OUT] }))).toThrow(/SYNC_FLOW_APPOINTMENTS_OUT and SYNC_FLOW_CHANGES_PULL only/);
    expect(manage.parse(input({ flows: [crmApi.SyncFlow.SYNC_FLOW_CHANGES_PULL] })).flows).toEqual(['changes-pull']);
    // The pull is signed with a webhook connector's secret: a FHIR connector has none.
    expect(() => manage.parse(input({ kind: crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4, flows: [crmApi.SyncFlow.SYNC_FLOW_CHANGES_PULL] }))).toThrow(/for webhook connectors/);
    expect(() => manage.parse(input({ webhook: { signingSecret: 'short', bodyTemplate: '' } }))).toThrow(/at least 32/);
    expect(() => manage.parse(input({ webhook: { signingSecret: SECRET, bodyTemplate: '{nope' } }))).toThrow(InvalidConnectorError);
    await expect(manage.put(input({ webhook: { signingSecret: '', bodyTemplate: '' } }))).rejects.toThrow('webhook.signing_secret is required');
  });
});
