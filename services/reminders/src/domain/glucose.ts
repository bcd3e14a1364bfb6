/** LOINC codes of blood glucose by unit: mass/volume (mg/dL) and moles/volume (mmol/L). */
export const GLUCOSE_CODES = {
  'mg/dL': { system: 'http://loinc.org', code: '2339-0' },
  'mmol/L': { system: 'http://loinc.org', code: '15074-8' },
} as const;

export type GlucoseUnit = keyof typeof GLUCOSE_CODES;

export type GlucoseReading =
  | { readonly kind: 'reading'; readonly value: number; readonly unit: GlucoseUnit; readonly unitInferred: boolean }
  /** No number, or a unit we do not know. */
  | { readonly kind: 'unreadable' }
  /** A number no living patient's glucose has: probably a typo. */
  | { readonly kind: 'implausible' };

// Plausible ranges: below them a meter reads "LO", above them "HI".
const PLAUSIBLE: Record<GlucoseUnit, readonly [number, number]> = { 'mg/dL': [20, 600], 'mmol/L': [1.1, 33.3] };

// Units as patients type them, in the supported languages' scripts.
const MG = /^(mg\s*\/?\s*dl|mg|мг\s*\/?\s*дл|мг)$/iu;
const MMOL = /^(mmol\s*\/?\s*l|mmol|ммоль\s*\/?\s*л|ммоль)$/iu;

/**
 * Reads a glucose value from a patient's reply: "6.1", "6,1 mmol/l", "110 mg/dl", "110mg". Without a
 * unit, values up to 35 are read as mmol/L and larger ones as mg/dL (the ranges do not overlap).
 */
export function parseGlucose(text: string): GlucoseReading {
  const m = /^\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*([^\d\s].*?)?\s*$/u.exec(text.normalize('NFKC').trim().replace(/[.!]+$/u, ''));
  if (!m?.[1]) return { kind: 'unreadable' };
  const value = Number(m[1].replace(',', '.'));
  const unitText = (m[2] ?? '').trim();
  let unit: GlucoseUnit;
  let unitInferred = false;
  if (unitText === '') {
    unit = value <= 35 ? 'mmol/L' : 'mg/dL';
    unitInferred = true;
  } else if (MG.test(unitText)) unit = 'mg/dL';
  else if (MMOL.test(unitText)) unit = 'mmol/L';
  else return { kind: 'unreadable' };
  const [low, high] = PLAUSIBLE[unit];
  if (!Number.isFinite(value) || value < low || value > high) return { kind: 'implausible' };
  return { kind: 'reading', value, unit, unitInferred };
}
