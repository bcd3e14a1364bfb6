import type { Patient } from '@medplum/fhirtypes';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { crmApi } from '@careloop/contracts';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import { InvalidConnectorError } from '../domain/errors';
import { languageOf, patientIdFor } from '../domain/import-mapping';

const MAX_MATCHES = 20;

/**
 * Who a phone number or MRN belongs to, asked of every connector with patient lookup: several
 * patients may share a phone (a parent and their children, a carer), so all are returned for
 * routing to link the contact to. Read through the connector's circuit breaker and rate limit.
 */
export class LookupPatients {
  constructor(private readonly registry: ConnectorRegistry) {}

  async execute(req: crmApi.LookupPatientsRequest): Promise<crmApi.PatientMatch[]> {
    if (!req.tenantId) throw new InvalidConnectorError('tenant_id is required');
    const by = req.by;
    if (!by?.value) throw new InvalidConnectorError('phone_e164 or mrn is required');
    let phone: string | undefined;
    if (by.$case === 'phoneE164') {
      const parsed = parsePhoneNumberFromString(by.value);
      if (!parsed?.isValid() || parsed.number !== by.value) throw new InvalidConnectorError('phone_e164 must be a valid number in E.164');
      phone = parsed.number;
    }
    const matches: crmApi.PatientMatch[] = [];
    for (const connection of await this.registry.connectionsFor(req.tenantId, 'patient-lookup')) {
      const { connector } = connection;
      const params: Record<string, string> = phone ? { telecom: `phone|${phone}`, _count: String(MAX_MATCHES) } : { identifier: `${connector.mrnSystem}|${by.value}`, _count: String(MAX_MATCHES) };
      const bundle = await connection.fhir.search<Patient>('Patient', params);
      for (const p of (bundle.entry ?? []).map((e) => e.resource)) {
        if (p?.resourceType !== 'Patient' || !p.id) continue;
        const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
        matches.push({
          connectorId: connector.connectorId,
          fhirId: p.id,
          patientId: patientIdFor(connector, p.id),
          mrn: p.identifier?.find((i) => i.system === connector.mrnSystem)?.value ?? '',
          givenName: name?.given?.join(' ') ?? '',
          familyName: name?.family ?? '',
          birthDate: p.birthDate ?? '',
          language: languageOf(p, ''),
        });
      }
    }
    return matches;
  }
}
