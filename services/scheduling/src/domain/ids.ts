/** Directory ids: short, URL- and reply-id-safe, no separators we use ourselves ("@", ":", "|"). */
export const DIRECTORY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isDirectoryId(value: string): boolean {
  return DIRECTORY_ID.test(value);
}

/** A slot's id: practitioner, facility and start minute (base 36). Short enough for reply ids. */
export interface SlotKey {
  readonly practitionerId: string;
  readonly facilityId: string;
  readonly startMinute: number;
}

export function slotIdOf(key: SlotKey): string {
  return `${key.practitionerId}@${key.facilityId}@${key.startMinute.toString(36)}`;
}

export function parseSlotId(slotId: string): SlotKey | undefined {
  const parts = slotId.split('@');
  if (parts.length !== 3) return undefined;
  const [practitionerId = '', facilityId = '', minute = ''] = parts;
  const startMinute = Number.parseInt(minute, 36);
  if (!isDirectoryId(practitionerId) || !isDirectoryId(facilityId) || !/^[0-9a-z]{1,10}$/.test(minute) || !Number.isSafeInteger(startMinute)) return undefined;
  return { practitionerId, facilityId, startMinute };
}
