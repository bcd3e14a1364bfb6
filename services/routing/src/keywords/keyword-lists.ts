import type { Language } from '@careloop/i18n';

/**
 * Keywords per language, written as people type them; they are folded (lower case, no
 * accents, no punctuation) before comparison, so "ARRÊT", "arret" and "Arrêt !" are one.
 * Every list applies to every patient whatever their language: someone served in English
 * who writes "BAJA" has still opted out. The catalogue's messages tell patients the first
 * keyword of their language's list (test/keywords.test.ts checks they agree).
 *
 * Opt-out and opt-in keywords match only as the whole message, so "how do I stop the
 * bleeding" or "stop the pills?" is not an opt-out. Deliberately absent:
 * - "cancel", "cancelar", "annuler", "absagen", "iptal", "отменить": patients write these to
 *   cancel an appointment (Turkish "iptal" is the usual answer to a reminder), and reading
 *   them as opt-out would silently stop their reminders. Turkish uses DUR and RET (the
 *   keyword Turkish commercial messages already teach people) instead.
 * - "end", "no": answers to ordinary questions; Spanish "alto" is also "high" (a glucose or pain
 *   answer), so Spanish relies on BAJA, the usual keyword there.
 * Turkish RET ("reject") is kept although it can answer a question: a missed opt-out breaks
 * the patient's consent, a mistaken one is visible (the confirmation says how to undo it).
 * Classify typed text only: a button's reply carries an id, never a keyword.
 */
export const OPT_OUT_KEYWORDS: Record<Language, readonly string[]> = {
  en: ['STOP', 'STOP ALL', 'STOPALL', 'UNSUBSCRIBE', 'OPT OUT', 'OPTOUT', 'QUIT', 'STOP MESSAGES', 'NO MORE MESSAGES'],
  es: ['BAJA', 'DARME DE BAJA', 'DAR DE BAJA', 'PARAR', 'DESUSCRIBIR', 'DESUSCRIBIRME', 'CANCELAR SUSCRIPCIÓN', 'NO MÁS MENSAJES'],
  de: ['STOPP', 'ABMELDEN', 'ABBESTELLEN', 'AUSTRAGEN', 'KEINE NACHRICHTEN', 'KEINE NACHRICHTEN MEHR'],
  fr: ['STOP', 'ARRÊT', 'ARRÊTER', 'DÉSABONNER', 'ME DÉSABONNER', 'DÉSABONNEMENT', 'DÉSINSCRIRE', 'ME DÉSINSCRIRE', 'PLUS DE MESSAGES'],
  tr: ['DUR', 'DURDUR', 'RET', 'ABONELİKTEN ÇIK', 'ABONELİK İPTAL', 'MESAJ İSTEMİYORUM'],
  ru: ['СТОП', 'ОТПИСАТЬСЯ', 'ОТПИСКА', 'ОТПИШИТЕ МЕНЯ', 'ОТМЕНИТЬ ПОДПИСКУ', 'НЕ ПРИСЫЛАЙТЕ СООБЩЕНИЯ'],
};

/** Opting in again is as easy as opting out: one word, whole message. */
export const OPT_IN_KEYWORDS: Record<Language, readonly string[]> = {
  en: ['START', 'UNSTOP', 'SUBSCRIBE', 'OPT IN', 'OPTIN', 'RESUME'],
  es: ['ALTA', 'DARME DE ALTA', 'DAR DE ALTA', 'SUSCRIBIR', 'SUSCRIBIRME', 'REANUDAR'],
  de: ['START', 'ANMELDEN', 'WIEDER ANMELDEN', 'FORTSETZEN'],
  fr: ['START', 'COMMENCER', 'REPRENDRE', 'ABONNER', 'M’ABONNER', 'ME RÉABONNER'],
  tr: ['BAŞLA', 'BAŞLAT', 'ABONE OL'],
  ru: ['СТАРТ', 'ПОДПИСАТЬСЯ', 'НАЧАТЬ', 'ВОЗОБНОВИТЬ'],
};

/** "Show me the menu again", whole message. */
export const MENU_KEYWORDS: Record<Language, readonly string[]> = {
  en: ['MENU', 'MAIN MENU', 'OPTIONS'],
  es: ['MENÚ', 'MENÚ PRINCIPAL', 'OPCIONES', 'INICIO'],
  de: ['MENÜ', 'MENUE', 'HAUPTMENÜ', 'HAUPTMENUE', 'OPTIONEN'],
  fr: ['MENU', 'MENU PRINCIPAL', 'OPTIONS'],
  tr: ['MENÜ', 'ANA MENÜ', 'SEÇENEKLER'],
  ru: ['МЕНЮ', 'ГЛАВНОЕ МЕНЮ'],
};

/**
 * "I want a person": phrases found anywhere in the message, as whole words in order
 * ("I want to talk to a person" contains "to a person"). A trailing * on the last word
 * matches any ending, for inflected forms (Turkish "temsilciyle", Russian "оператором").
 * Phrases are narrow on purpose: "a person" alone would catch "I am a person with diabetes",
 * French "conseiller" alone is also the verb "to advise", Russian "специалист" is a doctor.
 */
export const HUMAN_PHRASES: Record<Language, readonly string[]> = {
  en: ['human', 'humans', 'agent', 'operator*', 'representative', 'real person', 'live person', 'actual person', 'to a person',
    'with a person', 'to someone', 'with someone', 'to somebody', 'with somebody', 'customer service', 'staff member'],
  es: ['humano', 'humana', 'con una persona', 'a una persona', 'persona real', 'con alguien', 'agente', 'operador*', 'asesor*',
    'representante', 'atención al cliente'],
  de: ['mensch', 'menschen', 'mitarbeiter*', 'berater*', 'echte person', 'einer person', 'mit jemandem', 'kundendienst', 'kundenservice',
    'ansprechpartner*', 'sachbearbeiter*', 'team kontaktieren'],
  fr: ['humain', 'humaine', 'à quelqu’un', 'avec quelqu’un', 'à une personne', 'avec une personne', 'vraie personne', 'un conseiller',
    'une conseillère', 'au conseiller', 'opérateur*', 'opératrice*', 'agent', 'service client'],
  tr: ['insanla', 'insana', 'bir insan*', 'gerçek kişi*', 'bir kişiyle', 'kişiyle görüş*', 'biriyle', 'temsilci*', 'operatör*',
    'yetkili*', 'canlı destek', 'müşteri hizmetleri'],
  ru: ['оператор*', 'с человеком', 'человеком', 'живой человек', 'живым человеком', 'сотрудник*', 'консультант*', 'администратор*',
    'менеджер*'],
};
