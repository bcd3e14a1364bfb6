import type { OutboundMessageCommand } from '@careloop/contracts';
import { SUPPORTED_LANGUAGES, languageName, type Catalog, type Language } from '../i18n/catalog';
import type { FaqEntry } from '../adapters/faq-store';
import type { SkillName } from '../domain/skills';

type Content = OutboundMessageCommand['content'];

/** The menu's entries, in order: reply id "menu:<id>", and the skill that serves it (if any). */
export const MENU_ENTRIES = [
  { id: 'book', skill: 'scheduling' },
  { id: 'appointments', skill: 'scheduling' },
  { id: 'symptoms', skill: 'triage' },
  { id: 'results', skill: 'ehr' },
  { id: 'refills', skill: 'ehr' },
  { id: 'faq', skill: undefined },
  { id: 'language', skill: undefined },
  { id: 'agent', skill: undefined },
] as const satisfies readonly { id: string; skill: SkillName | undefined }[];

export type MenuEntryId = (typeof MENU_ENTRIES)[number]['id'];

export function text(body: string): Content {
  return { $case: 'text', value: { body, previewUrl: false } };
}

/** Every bot text below comes from the ICU catalogues; none is written here. */
export class BotMessages {
  constructor(private readonly catalog: Catalog) {}

  t(language: Language, key: Parameters<Catalog['t']>[1], values?: Record<string, string | number>): string {
    return this.catalog.t(language, key, values);
  }

  languageName(language: Language): string {
    return languageName(this.catalog, language);
  }

  consentQuestion(language: Language, hospital: string): Content {
    return {
      $case: 'replyButtons',
      value: {
        header: '',
        body: this.catalog.t(language, 'consent.ask', { hospital }),
        footer: '',
        buttons: [
          { id: 'consent:accept', title: this.catalog.t(language, 'consent.accept') },
          { id: 'consent:decline', title: this.catalog.t(language, 'consent.decline') },
        ],
      },
    };
  }

  mainMenu(language: Language, hospital: string): Content {
    const t = (key: Parameters<Catalog['t']>[1]) => this.catalog.t(language, key);
    return {
      $case: 'interactiveList',
      value: {
        header: '',
        body: this.catalog.t(language, 'menu.body', { hospital }),
        footer: '',
        button: t('menu.button'),
        sections: [
          {
            title: t('menu.section'),
            rows: MENU_ENTRIES.map((e) => ({
              id: `menu:${e.id}`,
              title: this.catalog.t(language, `menu.row.${e.id}.title` as Parameters<Catalog['t']>[1]),
              description: this.catalog.t(language, `menu.row.${e.id}.description` as Parameters<Catalog['t']>[1]),
            })),
          },
        ],
      },
    };
  }

  languageMenu(language: Language): Content {
    return {
      $case: 'interactiveList',
      value: {
        header: '',
        body: this.catalog.t(language, 'language.body'),
        footer: '',
        button: this.catalog.t(language, 'language.button'),
        sections: [{ title: '', rows: SUPPORTED_LANGUAGES.map((l) => ({ id: `lang:${l}`, title: languageName(this.catalog, l), description: '' })) }],
      },
    };
  }

  faqMenu(language: Language, entries: readonly FaqEntry[]): Content {
    const rows = entries.slice(0, 10).flatMap((e) => {
      const tr = e.translations[language] ?? e.translations['en'];
      return tr ? [{ id: `faq:${e.id}`, title: tr.title, description: '' }] : [];
    });
    if (rows.length === 0) return text(this.catalog.t(language, 'faq.none'));
    return { $case: 'interactiveList', value: { header: '', body: this.catalog.t(language, 'faq.body'), footer: '', button: this.catalog.t(language, 'faq.button'), sections: [{ title: '', rows }] } };
  }
}
