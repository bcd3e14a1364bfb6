import { SUPPORTED_LANGUAGES, type Language } from '@careloop/i18n';
import { foldText } from './fold-text';

/**
 * Greetings and very common short words, folded (see foldText), that say which language a
 * one-to-four-word message is in — exactly the messages a statistical detector gets wrong
 * ("Hello" and "Hallo" look Spanish to it). A word belongs here only if it is not also an
 * everyday word in another supported language: "no", "si", "ok" and "taxi" are left out.
 * Russian also lists common transliterations ("privet", "u menya bolit..."), for patients
 * without a Cyrillic keyboard: the statistical detector reads those as Turkish.
 */
const WORDS: Record<Language, readonly string[]> = {
  en: ['hello', 'hi', 'hey', 'hiya', 'good', 'morning', 'afternoon', 'evening', 'thanks', 'thank', 'you', 'yes', 'please', 'bye', 'goodbye', 'cheers', 'help'],
  es: ['hola', 'buenos', 'buenas', 'buen', 'día', 'días', 'tardes', 'noches', 'gracias', 'muchas', 'vale', 'adiós', 'saludos', 'ayuda', 'porfa', 'favor', 'por'],
  de: ['hallo', 'guten', 'tag', 'morgen', 'abend', 'moin', 'servus', 'grüß', 'gott', 'grüezi', 'danke', 'vielen', 'dank', 'bitte', 'ja', 'nein', 'tschüss', 'hilfe'],
  fr: ['bonjour', 'bonsoir', 'salut', 'coucou', 'allô', 'merci', 'beaucoup', 'oui', 'svp', 'stp', 'bonne', 'journée', 'soirée', 'aide', 'au', 'revoir'],
  tr: ['merhaba', 'merhabalar', 'selam', 'selamlar', 'slm', 'günaydın', 'iyi', 'günler', 'akşamlar', 'geceler',
    'teşekkürler', 'teşekkür', 'ederim', 'sağol', 'sağolun', 'evet', 'hayır', 'tamam', 'lütfen', 'mersi', 'yardım'],
  ru: ['привет', 'здравствуйте', 'здравствуй', 'добрый', 'доброе', 'день', 'утро', 'вечер', 'спасибо', 'пожалуйста', 'да', 'нет',
    'privet', 'zdravstvuyte', 'zdravstvuite', 'spasibo', 'dobryy', 'dobriy', 'menya', 'mne', 'bolit', 'khochu', 'hochu', 'nuzhno', 'pozhaluysta'],
};

// Folded at load, so the lists above can be written as people spell them.
const LANGUAGES_BY_WORD: ReadonlyMap<string, readonly Language[]> = (() => {
  const index = new Map<string, Language[]>();
  for (const language of SUPPORTED_LANGUAGES) {
    for (const word of WORDS[language]) {
      const folded = foldText(word);
      index.set(folded, [...(index.get(folded) ?? []), language]);
    }
  }
  return index;
})();

const MAX_WORDS = 4;

/**
 * The language of a short message made mostly of greeting words ("Hola", "Guten Tag",
 * "Hola doctor"), or undefined when it is longer, has too few known words, or is a tie.
 */
export function greetingLanguage(words: readonly string[]): Language | undefined {
  if (words.length === 0 || words.length > MAX_WORDS) return undefined;
  const hits = new Map<Language, number>();
  for (const word of words) {
    for (const language of LANGUAGES_BY_WORD.get(word) ?? []) hits.set(language, (hits.get(language) ?? 0) + 1);
  }
  const ranked = [...hits.entries()].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (best === undefined) return undefined;
  // At least half the words must be known ("Hola doctor" yes, "ok hola doctor" no)...
  if (best[1] * 2 < words.length) return undefined;
  // ...and they must point to one language ("hi hola" is a tie).
  if (second !== undefined && second[1] === best[1]) return undefined;
  return best[0];
}
