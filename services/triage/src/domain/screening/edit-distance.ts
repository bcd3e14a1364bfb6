/**
 * Damerau–Levenshtein distance (optimal string alignment: insert, delete, substitute, swap
 * two neighbours), stopping as soon as it must exceed `max`. Written here rather than taken
 * from a library: the common ones (fastest-levenshtein, leven) count a swapped pair
 * ("pian", "chset") as two edits, and typed swaps are among the commonest typos.
 * Returns `max + 1` for anything further than `max`.
 */
export function boundedDamerauLevenshtein(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  let prevPrev = new Array<number>(lb + 1).fill(0);
  let prev = new Array<number>(lb + 1);
  let curr = new Array<number>(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    curr[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (curr[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) v = Math.min(v, (prevPrev[j - 2] ?? 0) + 1);
      curr[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prevPrev, prev, curr] = [prev, curr, prevPrev];
  }
  const d = prev[lb] ?? max + 1;
  return d > max ? max + 1 : d;
}

/**
 * Whether `typed` is `word` with one slip of the kind short words survive: two neighbours
 * swapped ("pian" / "pain") or one letter doubled ("болль" / "боль").
 */
export function isSmallSlip(word: string, typed: string): boolean {
  let i = 0;
  while (i < word.length && word[i] === typed[i]) i++;
  if (typed.length === word.length) {
    return i < word.length - 1 && word[i] === typed[i + 1] && word[i + 1] === typed[i] && word.slice(i + 2) === typed.slice(i + 2);
  }
  if (typed.length === word.length + 1) {
    // typed[i] is the extra letter: it must repeat its neighbour.
    return i > 0 && typed[i] === typed[i - 1] && word.slice(i) === typed.slice(i + 1);
  }
  return false;
}

/**
 * How many edits a word of this length may carry and still be recognised: none for short
 * words (too many neighbours), one from 5 letters, two from 8. Four-letter words tolerate a
 * swapped or doubled letter only (see `isSmallSlip`).
 */
export function allowedEdits(length: number): number {
  if (length >= 8) return 2;
  if (length >= 5) return 1;
  return 0;
}
