import { InteractiveReplyKind, type InboundMessage } from '@careloop/contracts';

/** What a turn of the load asks routing for, named by what routing does with it. */
export type TurnKind =
  | 'first-contact'
  | 'consent-accept'
  | 'menu-unavailable'
  | 'faq-question'
  | 'faq-menu'
  | 'faq-answer'
  | 'greeting'
  | 'not-understood'
  | 'language-menu'
  | 'language-choice';

export interface ScriptStep {
  readonly kind: TurnKind;
  readonly content: InboundMessage['content'];
  /** Outbound commands routing answers this step with (the relay always answers 1). */
  readonly answers: number;
  readonly what: string;
}

const text = (body: string): InboundMessage['content'] => ({ $case: 'text', value: { body } });
const button = (id: string, title: string): InboundMessage['content'] => ({ $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id, title, description: '' } });
const row = (id: string, title: string): InboundMessage['content'] => ({ $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id, title, description: '' } });

/**
 * One patient's conversation, in Spanish, every step of which routing answers
 * (no handover, no STOP: a queued or opted-out conversation gets no answer,
 * and a turn without an answer has no latency). After the last step it goes
 * on from LOOP_FROM. The FAQ it asks about is seeded before the load.
 */
export const SCRIPT: readonly ScriptStep[] = [
  { kind: 'first-contact', content: text('Hola'), answers: 1, what: 'new contact and conversation → consent question' },
  { kind: 'consent-accept', content: button('consent:accept', 'Acepto'), answers: 2, what: 'consent ledger + consent event → confirmation and main menu' },
  { kind: 'menu-unavailable', content: row('menu:book', 'Pedir cita'), answers: 2, what: 'skill not deployed → "not available yet" and main menu' },
  { kind: 'faq-question', content: text('¿A qué hora abre el hospital?'), answers: 1, what: 'free text, language detection, FAQ match → answer' },
  { kind: 'faq-menu', content: row('menu:faq', 'Preguntas'), answers: 1, what: 'FAQ list' },
  { kind: 'faq-answer', content: row('faq:hours', 'Horario'), answers: 1, what: 'FAQ row → answer' },
  { kind: 'greeting', content: text('Hola'), answers: 1, what: 'greeting → main menu' },
  { kind: 'not-understood', content: text('Gracias, lo miraré más tarde'), answers: 2, what: 'free text, no FAQ match → "not understood" and main menu' },
  { kind: 'language-menu', content: row('menu:language', 'Idioma'), answers: 1, what: 'language list' },
  { kind: 'language-choice', content: row('lang:es', 'Español'), answers: 2, what: 'language recorded → confirmation and main menu' },
];
export const LOOP_FROM = 2;

export const TURN_KINDS: readonly TurnKind[] = SCRIPT.map((s) => s.kind);

/** The tenant's FAQ for the script's questions (PUT /admin/faq). */
export const FAQ = [
  {
    id: 'hours',
    translations: {
      es: { title: 'Horario', answer: 'Abrimos todos los días de 8:00 a 21:00. Urgencias, 24 horas.', keywords: ['horario', 'hora', 'abre', 'abren'] },
      en: { title: 'Opening hours', answer: 'We are open every day from 8:00 to 21:00. Emergencies 24 hours.', keywords: ['hours', 'open', 'opening'] },
    },
  },
  {
    id: 'parking',
    translations: {
      es: { title: 'Aparcamiento', answer: 'El aparcamiento está en la calle Mayor 3, gratuito las dos primeras horas.', keywords: ['aparcar', 'aparcamiento', 'parking'] },
      en: { title: 'Parking', answer: 'The car park is at Calle Mayor 3, free for the first two hours.', keywords: ['parking', 'park', 'car'] },
    },
  },
];

export interface PlannedTurn {
  readonly contact: number;
  readonly step: number;
}

/** mulberry32: a small seeded generator, so that a run's schedule can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Who sends the i-th message of a steady stream (`total` messages at `rate`
 * per second) from `contacts` patients. New patients are spread evenly over
 * the run; between them, the patient who has waited longest since their last
 * message (at least `thinkSeconds`: reading the answer, tapping) sends their
 * next step. So after the first seconds the mix of steps is about the same in
 * every second, and one patient's messages are seconds apart, in order.
 */
export function planTurns(total: number, contacts: number, rate: number, thinkSeconds: number, random: () => number): PlannedTurn[] {
  const plan: PlannedTurn[] = [];
  const waiting: { contact: number; next: number; readyAt: number }[] = [];
  let head = 0;
  let started = 0;
  for (let i = 0; i < total; i++) {
    const t = i / rate;
    const ready = head < waiting.length && (waiting[head]?.readyAt ?? Infinity) <= t;
    const startNew = started < contacts && (!ready || random() < (contacts - started) / (total - i));
    let turn: PlannedTurn;
    if (startNew || head >= waiting.length) {
      turn = { contact: started++, step: 0 };
    } else {
      const w = waiting[head++];
      if (!w) throw new Error('unreachable: empty waiting list');
      turn = { contact: w.contact, step: w.next };
    }
    plan.push(turn);
    waiting.push({ contact: turn.contact, next: turn.step + 1 < SCRIPT.length ? turn.step + 1 : LOOP_FROM, readyAt: t + thinkSeconds });
  }
  return plan;
}
