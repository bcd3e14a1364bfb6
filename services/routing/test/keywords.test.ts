import { classifyKeyword, type KeywordIntent } from '../src/keywords/classify-keyword';

type Case = readonly [text: string, intent: KeywordIntent | undefined];

const OPT_OUT: Record<string, readonly string[]> = {
  en: ['STOP', 'stop', ' Stop. ', 'STOP!!!', '🛑 STOP', '*STOP*', 'Unsubscribe', 'stop all', 'opt-out', 'QUIT'],
  es: ['BAJA', 'baja', '¡Baja!', 'darme de baja', 'Dar de baja', 'parar', 'no más mensajes', 'no mas mensajes'],
  de: ['STOPP', 'Stopp!', 'abmelden', 'Abbestellen', 'keine Nachrichten mehr'],
  fr: ['ARRÊT', 'arret', 'Arrêter', 'STOP', 'désabonner', 'me desabonner', 'Désinscrire'],
  tr: ['DUR', 'dur', 'Durdur', 'RET', 'abonelikten çık', 'ABONELİKTEN ÇIK', 'abonelikten cik', 'mesaj istemiyorum'],
  ru: ['СТОП', 'стоп', 'Стоп!', 'ОТПИСАТЬСЯ', 'отписаться 🙏', 'Отписка', 'отменить подписку'],
};

const OPT_IN: Record<string, readonly string[]> = {
  en: ['START', 'start', 'Start!', 'unstop', 'subscribe', 'opt in'],
  es: ['ALTA', 'alta', 'darme de alta', 'Reanudar'],
  de: ['START', 'Anmelden', 'wieder anmelden'],
  fr: ['START', 'commencer', 'Reprendre', "m'abonner"],
  tr: ['BAŞLA', 'basla', 'Başla!', 'BAŞLAT', 'abone ol'],
  ru: ['СТАРТ', 'старт', 'подписаться', 'Начать'],
};

const MENU: Record<string, readonly string[]> = {
  en: ['menu', 'MENU', 'Main menu', 'menu?'],
  es: ['menú', 'MENÚ', 'Menu', 'menú principal'],
  de: ['Menü', 'MENÜ', 'hauptmenü', 'Hauptmenue'],
  fr: ['menu', 'Menu principal'],
  tr: ['menü', 'MENÜ', 'ana menü'],
  ru: ['меню', 'МЕНЮ', 'главное меню'],
};

const HUMAN: Record<string, readonly string[]> = {
  en: ['talk to a person', 'I want to talk to a person', 'Can I speak to someone please?', 'agent', 'HUMAN', 'I need a real person', 'operator pls', 'connect me with a representative'],
  es: ['hablar con una persona', 'Quiero hablar con un humano', 'quiero hablar con alguien', 'necesito un agente', 'pásame con un operador', 'un asesor por favor'],
  de: ['mit einem Menschen sprechen', 'Ich möchte mit einem Mitarbeiter sprechen', 'mitarbeiterin bitte', 'Kann ich mit jemandem reden?', 'Kundenservice'],
  fr: ["je veux parler à quelqu'un", 'parler a quelqu un', 'un conseiller svp', 'Je voudrais parler à une personne', 'un humain', 'opérateur'],
  tr: ['bir insanla konuşmak istiyorum', 'temsilci', 'temsilciyle görüşmek istiyorum', 'yetkiliyle görüşebilir miyim', 'canlı destek', 'bir kişiyle görüşmek istiyorum'],
  ru: ['оператор', 'хочу поговорить с человеком', 'Соедините с оператором', 'позовите сотрудника', 'нужен живой человек', 'Связаться с человеком'],
};

// Ordinary messages that contain a keyword but do not mean it.
const NEITHER: Record<string, readonly string[]> = {
  en: ['how do I stop the bleeding?', 'stop taking the pills?', 'I want to start physiotherapy', 'cancel', 'cancel my appointment', 'the menu at the cafeteria',
    'I am a person with diabetes', 'someone in my family is sick', 'my agenda is full', 'ok', ''],
  es: ['quiero cancelar mi cita', 'cancelar', 'me dieron el alta ayer', 'tengo la tensión baja', 'alto', 'soy una persona mayor', 'necesito un especialista'],
  de: ['wie kann ich die Blutung stoppen', 'Termin absagen', 'absagen', 'ich habe seit Montag Fieber', 'Menschenskinder, dauert das lange'],
  fr: ["comment arrêter de saigner", 'annuler', 'annuler mon rendez-vous', 'pouvez-vous me conseiller un médecin', 'quelqu’un de ma famille est malade'],
  tr: ['iptal', 'İPTAL', 'randevumu iptal et', 'durum nedir', 'insanlar çok kaba', 'başladı ağrım'],
  ru: ['отменить', 'отменить запись', 'стоп-кран', 'мне нужен специалист', 'как остановить кровь', 'стоп, у меня вопрос по записи'],
};

function cases(byLanguage: Record<string, readonly string[]>, intent: KeywordIntent | undefined): Case[] {
  return Object.entries(byLanguage).flatMap(([language, texts]) => texts.map((text): Case => [`${language}: ${text}`, intent]));
}

describe('classifyKeyword', () => {
  it.each([
    ...cases(OPT_OUT, 'opt_out'),
    ...cases(OPT_IN, 'opt_in'),
    ...cases(MENU, 'menu'),
    ...cases(HUMAN, 'human'),
    ...cases(NEITHER, undefined),
  ])('%s → %s', (labelled, intent) => {
    const text = labelled.slice(labelled.indexOf(': ') + 2);
    expect(classifyKeyword(text)).toBe(intent);
  });

  it('adds a tenant’s own keywords, folded like the built-in ones', () => {
    const extra = { optOut: ['ABMELDUNG BITTE', 'Basta'], optIn: ['VOLVER'] };
    expect(classifyKeyword('abmeldung bitte!', extra)).toBe('opt_out');
    expect(classifyKeyword('BASTA', extra)).toBe('opt_out');
    expect(classifyKeyword('volver', extra)).toBe('opt_in');
    expect(classifyKeyword('basta', {})).toBeUndefined();
    expect(classifyKeyword('STOP', extra)).toBe('opt_out');
  });

  it('puts opting out before anything else', () => {
    // A tenant keyword that is also an opt-in word still opts out: stopping must always win.
    expect(classifyKeyword('start', { optOut: ['start'] })).toBe('opt_out');
  });
});
