/** The time reminders act on. Tests move it with REMINDERS_CLOCK_OFFSET_MS, never by patching code. */
export interface Clock {
  now(): Date;
}

export function offsetClock(offsetMs: number): Clock {
  return { now: () => new Date(Date.now() + offsetMs) };
}
