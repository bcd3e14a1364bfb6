import type { Patient } from '@medplum/fhirtypes';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { crmApi } from '@careloop/contracts';
import type { Connection, ConnectorRegistry } from '../adapters/connector-registry';
import type { Connector } from '../domain/connector';
import { InvalidConnectorError } from '../domain/errors';
import { languageOf, patientIdFor } from '../domain/import-mapping';

const MAX_MATCHES = 20;
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/;

/**
 * Who a phone number or MRN belongs to, asked of every connector with patient lookup: several
 * patients may share a phone (a parent and their children, a carer), so all are returned for
 * routing to link the contact to. One EHR patient can also be read back by its reference (a
 * verification in progress re-reads the record it chose). Read through the connector's circuit
 * breaker and rate limit.
 */
export class LookupPatients {
  constructor(private readonly registry: ConnectorRegistry) {}

  async execute(req: crmApi.LookupPatientsRequest): Promise<crmApi.PatientMatch[]> {
    if (!req.tenantId) throw new InvalidConnectorError('tenant_id is required');
    const by = req.by;
    if (by?.$case === 'ehrPatient') return this.byReference(req.tenantId, by.value);
    if (!by?.value) throw new InvalidConnectorError('phone_e164, mrn or ehr_patient is required');
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
        if (p?.resourceType === 'Patient' && p.id) matches.push(matchOf(connector, p, p.id));
      }
    }
    return matches;
  }

  private async byReference(tenantId: string, ref: crmApi.EhrPatientRef): Promise<crmApi.PatientMatch[]> {
    if (!ref.connectorId || !FHIR_ID.test(ref.fhirId)) throw new InvalidConnectorError('ehr_patient needs a connector_id and a FHIR id');
    const connection: Connection | undefined = (await this.registry.connectionsFor(tenantId, 'patient-lookup')).find((c) => c.connector.connectorId === ref.connectorId);
    if (!connection) return [];
    const patient = await connection.fhir.read<Patient>('Patient', ref.fhirId);
    return patient?.resourceType === 'Patient' && patient.id && patient.active !== false ? [matchOf(connection.connector, patient, patient.id)] : [];
  }
}

function matchOf(connector: Connector, p: Patient, fhirId: string): crmApi.PatientMatch {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  return {
    connectorId: connector.connectorId,
    fhirId,
    patientId: patientIdFor(connector, fhirId),
    mrn: p.identifier?.find((i) => i.system === connector.mrnSystem)?.value ?? '',
    givenName: name?.given?.join(' ') ?? '',
    familyName: name?.family ?? '',
    birthDate: p.birthDate ?? '',
    language: languageOf(p, ''),
    phonesE164: phonesOf(p),
  };
}

/** The record's current phone numbers in E.164, mobile ones first (a one-time code goes to the first). */
export function phonesOf(p: Patient): string[] {
  const now = Date.now();
  const phones = (p.telecom ?? [])
    .filter((t) => t.system === 'phone' && t.value && t.use !== 'old' && !(t.period?.end && Date.parse(t.period.end) < now))
    .sort((a, b) => rank(a.use) - rank(b.use) || (a.rank ?? 99) - (b.rank ?? 99));
  const out: string[] = [];
  for (const t of phones) {
    const parsed = parsePhoneNumberFromString(t.value ?? '');
    if (parsed?.isValid() && !out.includes(parsed.number)) out.push(parsed.number);
  }
  return out;
}

function rank(use: string | undefined): number {
  return use === 'mobile' ? 0 : use === undefined || use === 'home' || use === 'temp' ? 1 : 2;
}
