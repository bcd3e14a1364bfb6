/**
 * Folds text for matching words typed on a phone: lower case, no accents, no punctuation
 * or emoji, single spaces. "¡ARRÊT!" → "arret", "İPTAL" → "iptal", "Menü 👋" → "menu",
 * "quelqu'un" → "quelqu un". Cyrillic is kept (only its diacritics go: "ё" → "е", "й" → "и"),
 * so both sides of every comparison must be folded with this same function.
 */
export function foldText(text: string): string {
  return text
    .toLowerCase()
    // Turkish dotless ı has no decomposition; patients type i and ı interchangeably.
    .replace(/ı/g, 'i')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The folded words of a text ("¡Hola, buenos días!" → ["hola", "buenos", "dias"]). */
export function foldedWords(text: string): string[] {
  const folded = foldText(text);
  return folded === '' ? [] : folded.split(' ');
}
