import { boundedDamerauLevenshtein, isSmallSlip } from '../src/domain/screening/edit-distance';
import { foldText, tokenise } from '../src/domain/screening/normalise';
import { library } from './support/library';

const screen = (text: string, language: Parameters<typeof library.screen.screen>[1]) => library.screen.screen(text, language);
const codes = (text: string, language: Parameters<typeof library.screen.screen>[1]) => screen(text, language).flags.map((f) => f.code);

describe('text folding', () => {
  it('lower-cases Turkish I and İ the Turkish way, then drops the dots', () => {
    expect(foldText('İSTANBUL IŞIK', 'tr')).toBe('istanbul isik');
    expect(foldText('GÖĞÜS AĞRISI', 'tr')).toBe('gogus agrisi');
  });
  it('folds ё to е, ß to ss, umlauts to their two-letter spelling, and keeps й', () => {
    expect(foldText('Ёжик', 'ru')).toBe('ежик');
    expect(foldText('Schweiß Übelkeit', 'de')).toBe('schweiss uebelkeit');
    expect(foldText('зайка', 'ru')).toBe('зайка');
    expect(foldText('Cœur, fièvre', 'fr')).toBe('coeur, fievre');
  });
  it('joins English apostrophes and splits French ones; punctuation ends clauses', () => {
    expect(tokenise("can't breathe", 'en').map((t) => t.text)).toEqual(['cant', 'breathe']);
    expect(tokenise("manque d'air", 'fr').map((t) => t.text)).toEqual(['manque', 'd', 'air']);
    expect(tokenise('no fever, chest pain', 'en').map((t) => t.clause)).toEqual([0, 0, 1, 1]);
  });
});

describe('edit distance', () => {
  it('counts a swap of neighbours as one edit and stops past the bound', () => {
    expect(boundedDamerauLevenshtein('chest', 'chset', 1)).toBe(1);
    expect(boundedDamerauLevenshtein('sweating', 'swetting', 2)).toBe(1);
    expect(boundedDamerauLevenshtein('breathe', 'bread', 1)).toBe(2);
  });
  it('lets four-letter words through a swapped or doubled letter only', () => {
    expect(isSmallSlip('pain', 'pian')).toBe(true);
    expect(isSmallSlip('боль', 'болль')).toBe(true);
    expect(isSmallSlip('pain', 'paint')).toBe(false);
    expect(isSmallSlip('pain', 'rain')).toBe(false);
  });
});

describe('red flags', () => {
  it('recognises the stroke signs of the issue in one message', () => {
    expect(codes("my dad's face is drooping and he can't speak properly", 'en')).toEqual(['STROKE_SIGNS']);
  });
  it('finds a flag buried in a long message about something else', () => {
    const text = 'Hello, I wanted to ask about the parking at the hospital, is it free after 6pm and where is the entrance? ' + 'Thanks. '.repeat(20) + 'Also my wife has chest pain and is sweating.';
    expect(codes(text, 'en')).toEqual(['CARDIAC_CHEST_PAIN']);
  });
  it('clears an unambiguous negation and says so', () => {
    const result = screen('no chest pain and no sweating, just a cough', 'en');
    expect(result.emergency).toBe(false);
    expect(result.negated).toEqual(['CARDIAC_CHEST_PAIN']);
  });
  it('keeps a finding when the negation is ambiguous or contradicted', () => {
    // The negation may cover only the fever: escalate.
    expect(codes('no fever and chest pain with sweating', 'en')).toEqual(['CARDIAC_CHEST_PAIN']);
    // Uncertainty is not a negation.
    expect(codes('not sure if I have chest pain but I am sweating', 'en')).toEqual(['CARDIAC_CHEST_PAIN']);
    // A later positive mention wins.
    expect(codes('no chest pain yesterday. today chest pain and sweating', 'en')).toEqual(['CARDIAC_CHEST_PAIN']);
    // A double negative is not read as a negation.
    expect(codes('not without chest pain, and sweating', 'en')).toEqual(['CARDIAC_CHEST_PAIN']);
  });
  it('reads negation the way each language places it', () => {
    expect(screen('göğüs ağrım yok, terleme yok', 'tr').emergency).toBe(false);
    expect(screen('göğsüm ağrımıyor ama terliyorum', 'tr').emergency).toBe(false);
    expect(screen('боли в груди нет и пота нет', 'ru').emergency).toBe(false);
    expect(screen('keine Brustschmerzen und kein Schweiß', 'de').emergency).toBe(false);
    expect(screen("je n'ai pas de douleur à la poitrine ni de sueurs", 'fr').emergency).toBe(false);
    expect(screen('no tengo dolor de pecho ni sudor', 'es').emergency).toBe(false);
  });
  it('treats negative phrasings of a finding as the finding', () => {
    expect(codes("I can't breathe", 'en')).toEqual(['SEVERE_BREATHING_DIFFICULTY']);
    expect(codes('не может говорить', 'ru')).toEqual(['STROKE_SIGNS']);
    expect(codes('ich bekomme keine Luft', 'de')).toEqual(['SEVERE_BREATHING_DIFFICULTY']);
    expect(codes('nefes alamıyorum', 'tr')).toEqual(['SEVERE_BREATHING_DIFFICULTY']);
  });
  it('gives suicidal intent the mental-health queue and the crisis line', () => {
    const [flag] = screen('quiero quitarme la vida', 'es').flags;
    expect(flag).toMatchObject({ code: 'SUICIDAL_INTENT', department: 'mental-health', crisisLine: true });
  });
  it('explains a match with lexicon terms and edit counts, never with the message', () => {
    const [flag] = screen('chset pian and swaeting', 'en').flags;
    expect(flag?.evidence).toEqual([
      { concept: 'CHEST', term: 'chest*', edits: 1 },
      { concept: 'PAIN', term: 'pain*', edits: 1 },
      { concept: 'SWEATING', term: 'sweat*', edits: 1 },
    ]);
  });
  it('does not take routine words for findings', () => {
    expect(screen('I need my blood test results and a new blood pressure prescription', 'en').emergency).toBe(false);
    expect(screen('Ich brauche ein Rezept für Blutdrucktabletten', 'de').emergency).toBe(false);
    expect(screen('где припарковаться перед приемом?', 'ru').emergency).toBe(false);
  });
});
