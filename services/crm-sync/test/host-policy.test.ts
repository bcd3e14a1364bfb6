import { crmApi } from '@careloop/contracts';
import { GuardedHttp } from '../src/adapters/fhir/guarded-http';
import { InvalidConnectorError, UnsafeUrlError } from '../src/domain/errors';
import { HostPolicy, isPrivateAddress } from '../src/domain/host-policy';
import { ManageConnectors } from '../src/use-cases/manage-connectors';
import type { ConnectorStore } from '../src/adapters/connector-store';
import type { ConnectorRegistry } from '../src/adapters/connector-registry';
import type { PollSchedule } from '../src/adapters/poll-schedule';
import { FakeFhir } from './support/fake-fhir';

const policy = new HostPolicy({ allowedHosts: ['ehr.example.org', '*.hospital.example', '10.20.0.5:8443', 'localhost'], privateHostsAllowed: ['10.20.0.5:8443'], allowPlainHttp: false });

function connector(baseUrl: string): crmApi.Connector {
  return {
    tenantId: 'tenant-a',
    connectorId: 'ehr',
    kind: crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4,
    baseUrl,
    enabled: true,
    flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT],
    ratePerSecond: 0,
    mrnSystem: '',
    import: undefined,
    auth: undefined,
    hasCredentials: false,
    updatedAt: undefined,
    webhook: undefined,
  };
}

describe('the SSRF guard', () => {
  const manage = new ManageConnectors({} as ConnectorStore, {} as ConnectorRegistry, {} as PollSchedule, policy);

  it('refuses a connector URL pointing at a private address that is not on the allow-list', () => {
    expect(() => manage.parse(connector('https://192.168.1.10/fhir'))).toThrow(InvalidConnectorError);
    expect(() => manage.parse(connector('https://192.168.1.10/fhir'))).toThrow(/base_url refused: host 192\.168\.1\.10 is not on CRM_ALLOWED_HOSTS/);
  });

  it('refuses an allow-listed host that is a private address unless that host is allowed to be private', () => {
    const lax = new HostPolicy({ allowedHosts: ['10.0.0.7', '10.20.0.5:8443'], privateHostsAllowed: ['10.20.0.5:8443'], allowPlainHttp: false });
    expect(() => lax.checkUrl('https://10.0.0.7/fhir')).toThrow(/private or loopback address and is not on CRM_PRIVATE_HOSTS_ALLOWED/);
    expect(lax.checkUrl('https://10.20.0.5:8443/fhir').hostname).toBe('10.20.0.5');
    // the same host on another port is another service
    expect(() => lax.checkUrl('https://10.20.0.5/fhir')).toThrow(UnsafeUrlError);
  });

  it('accepts allow-listed public hosts and subdomains of a wildcard, https only, no credentials in the URL', () => {
    expect(manage.parse(connector('https://ehr.example.org/fhir/')).baseUrl).toBe('https://ehr.example.org/fhir');
    expect(policy.checkUrl('https://fhir.hospital.example/r4').hostname).toBe('fhir.hospital.example');
    expect(() => policy.checkUrl('https://hospital.example.evil.org/r4')).toThrow(UnsafeUrlError);
    expect(() => policy.checkUrl('http://ehr.example.org/fhir')).toThrow(/scheme http: not allowed/);
    expect(() => policy.checkUrl('https://user:pw@ehr.example.org/fhir')).toThrow(/credentials/);
    expect(() => policy.checkUrl('file:///etc/passwd')).toThrow(UnsafeUrlError);
  });

  it('knows the private, loopback, link-local and mapped ranges', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
      expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['8.8.8.8', '151.101.1.69', '2a00:1450:4001:80b::200e']) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
  });

  it('checks the address a name resolves to when connecting: an allow-listed name that resolves to loopback is refused', async () => {
    const fake = await FakeFhir.start();
    try {
      const port = new URL(fake.baseUrl).port;
      const http = new GuardedHttp(new HostPolicy({ allowedHosts: ['localhost'], privateHostsAllowed: [], allowPlainHttp: true }), 2_000);
      await expect(http.request({ method: 'GET', url: `http://localhost:${port}/fhir/metadata` })).rejects.toThrow(/localhost resolves to a private or loopback address/);
      expect(fake.requests).toHaveLength(0);
      const allowed = new GuardedHttp(new HostPolicy({ allowedHosts: ['localhost'], privateHostsAllowed: ['localhost'], allowPlainHttp: true }), 2_000);
      await expect(allowed.request({ method: 'GET', url: `http://localhost:${port}/fhir/Patient/1` })).resolves.toMatchObject({ status: 404 });
      http.close();
      allowed.close();
    } finally {
      await fake.stop();
    }
  });

  it('does not follow redirects (a 3xx comes back as it is)', async () => {
    const fake = await FakeFhir.start();
    fake.intercept = (_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
      return true;
    };
    try {
      const http = new GuardedHttp(new HostPolicy({ allowedHosts: ['127.0.0.1'], privateHostsAllowed: ['127.0.0.1'], allowPlainHttp: true }), 2_000);
      const res = await http.request({ method: 'GET', url: `${fake.baseUrl}/Patient/1` });
      expect(res.status).toBe(302);
      expect(fake.requests).toHaveLength(1);
      http.close();
    } finally {
      await fake.stop();
    }
  });
});
