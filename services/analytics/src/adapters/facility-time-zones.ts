import { isTimeZone } from '../domain/local-time';

/**
 * Facility time zones learnt from appointment snapshots (which carry them), for events that do
 * not (a closed conversation). A cache, not a source of truth: unknown facilities bucket in UTC.
 */
export class FacilityTimeZones {
  private readonly zones = new Map<string, string>();

  constructor(private readonly fallback = 'UTC') {}

  learn(facilityId: string, timeZone: string): void {
    if (facilityId && isTimeZone(timeZone) && this.zones.size < 10_000) this.zones.set(facilityId, timeZone);
  }

  of(facilityId: string): string {
    return this.zones.get(facilityId) ?? this.fallback;
  }
}
