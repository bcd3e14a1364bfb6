import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { Patient } from '@medplum/fhirtypes';
import { FakeFhir } from './support/fake-fhir';
import { connectionTo } from './support/connection';

describe('connector auth', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());

  it('sends a static bearer token', async () => {
    const connection = connectionTo(fake.baseUrl, { auth: { method: 'bearer', token: 'secret-token' } });
    await connection.fhir.read<Patient>('Patient', '1');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer secret-token');
  });

  it('SMART Backend Services: a signed client assertion for a token, cached across requests, refreshed after a 401', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
    const jwk = JSON.stringify(await exportJWK(privateKey));
    const tokenUrl = `${fake.baseUrl.replace(/\/fhir$/, '')}/oauth/token`;
    let issued = 0;
    const assertions: Record<string, unknown>[] = [];
    fake.intercept = (req, res) => {
      if (req.url === '/oauth/token') {
        const form = new URLSearchParams(req.body);
        expect(form.get('grant_type')).toBe('client_credentials');
        expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        jwtVerify(form.get('client_assertion') ?? '', publicKey, { issuer: 'careloop', subject: 'careloop', audience: tokenUrl }).then(
          ({ payload, protectedHeader }) => {
            assertions.push({ ...payload, kid: protectedHeader.kid });
            issued += 1;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ access_token: `token-${issued}`, token_type: 'bearer', expires_in: 300, scope: form.get('scope') }));
          },
          () => {
            res.writeHead(401);
            res.end();
          },
        );
        return true;
      }
      if (req.headers.authorization === 'Bearer token-1' && req.url.endsWith('/Patient/revoked')) {
        res.writeHead(401);
        res.end();
        return true;
      }
      return false;
    };
    const connection = connectionTo(fake.baseUrl, {
      auth: { method: 'smart-backend', tokenUrl, clientId: 'careloop', privateKeyJwk: jwk, keyId: 'k1', algorithm: 'RS384', scope: 'system/Appointment.rs' },
    });
    await connection.fhir.read<Patient>('Patient', '1');
    await connection.fhir.read<Patient>('Patient', '2');
    expect(issued).toBe(1);
    expect(assertions[0]).toMatchObject({ kid: 'k1', iss: 'careloop', sub: 'careloop', aud: tokenUrl });
    expect(typeof assertions[0]?.['jti']).toBe('string');
    const fhirCalls = fake.requests.filter((r) => r.url.startsWith('/fhir/'));
    expect(fhirCalls.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-1']);

    // The server revokes the token: the 401 drops it, the in-call retry fetches a new one.
    await connection.fhir.read<Patient>('Patient', 'revoked');
    expect(issued).toBe(2);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer token-2');
  });
});
