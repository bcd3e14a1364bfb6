/** Who to call: the emergency number and, for mental-health crises, a crisis line. */
export interface EmergencyContacts {
  readonly emergency: string;
  readonly crisis: string;
}

/**
 * Built-in numbers per country (ISO 3166 alpha-2). Checked against public sources on
 * 2026-12-01; those marked uncertain in docs/triage.md must be confirmed by each deployment.
 * 112 works from mobile phones across the EU and in many other countries.
 */
export const DEFAULT_EMERGENCY_CONTACTS: Readonly<Record<string, EmergencyContacts>> = {
  ES: { emergency: '112', crisis: '024' },
  DE: { emergency: '112', crisis: '0800 111 0 111' },
  FR: { emergency: '15 / 112', crisis: '3114' },
  TR: { emergency: '112', crisis: '112' },
  RU: { emergency: '112 / 103', crisis: '8-800-2000-122' },
  GB: { emergency: '999', crisis: '116 123' },
  US: { emergency: '911', crisis: '988' },
};

export const FALLBACK_CONTACTS: EmergencyContacts = { emergency: '112', crisis: '112' };

export interface FacilityContacts {
  readonly country?: string;
  readonly emergency?: string;
  readonly crisis?: string;
}

/** Numbers for a facility: its own override, else its country's, else 112. */
export class EmergencyNumbers {
  constructor(
    private readonly countries: Readonly<Record<string, EmergencyContacts>>,
    private readonly facilities: Readonly<Record<string, FacilityContacts>>,
    private readonly defaultCountry: string | undefined,
  ) {}

  for(facilityId: string): EmergencyContacts {
    const facility = this.facilities[facilityId];
    const country = facility?.country ?? this.defaultCountry;
    const base = (country ? this.countries[country] : undefined) ?? FALLBACK_CONTACTS;
    return { emergency: facility?.emergency ?? base.emergency, crisis: facility?.crisis ?? base.crisis };
  }
}
