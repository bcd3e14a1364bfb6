import type { ReceivedMessage, SimulatedPatient } from '@careloop/cloud-api-simulator';
import type { Language } from '@careloop/i18n';
import { Catalog as RoutingCatalog } from '@careloop/routing/i18n/catalog';
import { HOSPITAL_NAME, type Platform } from './platform';

const routingText = RoutingCatalog.load();

/** A first message that says its language (routing's greeting lexicon). */
export const GREETING: Record<Language, string> = { en: 'Hello', es: 'Hola', de: 'Hallo', fr: 'Bonjour', tr: 'Merhaba', ru: 'Здравствуйте' };

/** A mobile number's country code and first digits per language, so the phone agrees with the words. */
const MOBILE: Record<Language, { readonly prefix: string; readonly digits: number }> = {
  en: { prefix: '4479', digits: 8 },
  es: { prefix: '346', digits: 8 },
  de: { prefix: '49151', digits: 8 },
  fr: { prefix: '336', digits: 8 },
  tr: { prefix: '905', digits: 9 },
  ru: { prefix: '79', digits: 9 },
};

/**
 * A random WhatsApp number from a country where the language is spoken. routing answers a long
 * message its detector is unsure of in the phone's language (detect-language.ts), so an English
 * sentence from a Spanish number can get Spanish back: patients here write from home.
 */
export function mobileFor(language: Language): string {
  const { prefix, digits } = MOBILE[language];
  return prefix + String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0');
}

export const bodyOf = (m: ReceivedMessage): string => m.body ?? '';

/** The next message that matches, within a minute; else an error with the patient's transcript. */
export function expectMessage(patient: SimulatedPatient, predicate: (m: ReceivedMessage) => boolean, what: string): Promise<ReceivedMessage> {
  return patient.waitForMessage(predicate, 60_000).catch((error: unknown) => {
    throw new Error(`${what}: not received. Transcript:\n${patient.renderTranscript()}`, { cause: error });
  });
}

/** First contact through consent to the main menu, greeting in the patient's language (from `waId`, else a number of its country). */
export async function consentedPatient(platform: Platform, name: string, language: Language, waId = mobileFor(language)): Promise<SimulatedPatient> {
  const patient = platform.patient(name, waId);
  await patient.sendText(GREETING[language]);
  await expectMessage(patient, (m) => bodyOf(m) === routingText.t(language, 'consent.ask', { hospital: HOSPITAL_NAME }), `the consent question in ${language}`);
  await patient.replyButton('consent:accept');
  await expectMessage(patient, (m) => bodyOf(m) === routingText.t(language, 'menu.body', { hospital: HOSPITAL_NAME }), `the main menu in ${language}`);
  return patient;
}
