import { Catalog, SUPPORTED_LANGUAGES, type MessageKey } from '../src/i18n/catalog';
import { classifyKeyword, type KeywordIntent } from '../src/keywords/classify-keyword';

const catalog = Catalog.load();
const VALUES = { hospital: 'Hospital', language: 'English', option: 'Option', ahead: 1, name: 'Ana' };

/** The *bold* words a message tells the patient to write. */
function taughtKeywords(key: MessageKey, language: (typeof SUPPORTED_LANGUAGES)[number]): string[] {
  return [...catalog.t(language, key, VALUES).matchAll(/\*([^*]+)\*/g)].map((match) => match[1] ?? '');
}

// What each message tells the patient to write, and what routing must make of it.
const TAUGHT: [MessageKey, KeywordIntent][] = [
  ['consent.ask', 'opt_out'],
  ['consent.accepted', 'opt_out'],
  ['optin.confirmed', 'opt_out'],
  ['consent.declined', 'opt_in'],
  ['optout.confirmed', 'opt_in'],
  ['fallback.menu_hint', 'menu'],
  ['handover.closed', 'menu'],
  ['faq.none', 'menu'],
];

describe.each(SUPPORTED_LANGUAGES)('the %s catalogue and the keywords agree', (language) => {
  it.each(TAUGHT)('the keyword %s teaches is understood as %s', (key, intent) => {
    const keywords = taughtKeywords(key, language);
    expect(keywords).toHaveLength(1);
    expect(keywords.map((keyword) => classifyKeyword(keyword))).toEqual([intent]);
  });

  it('the phrase the fallback suggests for a person, and the menu row, hand over', () => {
    const quoted = /[“«„]\s*([^”»“]+?)\s*[”»“]/.exec(catalog.t(language, 'fallback.not_understood'))?.[1];
    expect(quoted).toBeDefined();
    expect(classifyKeyword(quoted ?? '')).toBe('human');
    expect(classifyKeyword(catalog.t(language, 'menu.row.agent.title'))).toBe('human');
  });
});
