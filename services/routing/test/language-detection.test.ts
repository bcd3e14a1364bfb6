import { SUPPORTED_LANGUAGES, type Language } from '../src/i18n/catalog';
import { detectLanguage } from '../src/language/detect-language';

/**
 * Short messages as patients write them: one-word greetings, no accents, no capitals,
 * missing apostrophes. Detection here uses the text alone (no phone, no record).
 */
const CORPUS: Record<Language, readonly string[]> = {
  en: ['Hello', 'Hi', 'Good morning', 'I need to see a doctor', 'I want to book an appointment', 'Can I change my appointment to Friday?',
    'I have a fever and a sore throat', 'When are my test results ready?', 'I need a refill of my blood pressure pills', 'Where do I park at the hospital?',
    'my child has a bad cough since yesterday', 'thank you very much', 'need a doctor', 'book appointment please', 'my results', 'cancel my appointment',
    'i feel sick', 'help me please', 'headache since monday', 'is the clinic open today'],
  es: ['Hola', 'Buenos días', 'buenos dias', 'quiero pedir una cita', 'Necesito ver a un médico', 'necesito cambiar mi cita', 'tengo fiebre y dolor de garganta',
    'cuando estan mis resultados', 'me duele mucho la cabeza', 'quiero cancelar la cita del martes', 'mi hijo tiene tos desde ayer', 'muchas gracias',
    'necesito un medico', 'cita por favor', 'mis resultados', 'me siento mal', 'ayudame por favor', 'dolor de cabeza desde el lunes', 'esta abierta la clinica hoy', 'gracias!!',
    'cancelar mi cita'],
  de: ['Hallo', 'Guten Tag', 'Guten Morgen', 'ich habe Fieber', 'Ich möchte einen Termin vereinbaren', 'ich moechte meinen Termin verschieben',
    'Wann sind meine Ergebnisse da?', 'Ich brauche ein neues Rezept', 'mein Kind hat Husten seit gestern', 'wo kann ich parken', 'vielen dank',
    'Ich habe starke Kopfschmerzen', 'brauche einen arzt', 'termin bitte', 'meine ergebnisse', 'termin absagen', 'mir ist schlecht', 'hilfe bitte',
    'kopfschmerzen seit montag', 'ist die praxis heute offen'],
  fr: ['Bonjour', 'Salut', 'Bonsoir', 'j\'ai mal à la tête', 'j ai mal a la tete', 'je voudrais prendre rendez-vous', 'Je dois voir un médecin',
    'mon fils a de la fièvre depuis hier', 'quand aurai-je mes résultats', 'je veux annuler mon rendez vous', 'ou est ce que je peux me garer', 'merci beaucoup',
    'besoin d un medecin', 'rendez vous svp', 'mes resultats', 'annuler mon rendez vous', 'je me sens mal', 'aidez moi svp', 'mal de tete depuis lundi',
    'la clinique est ouverte aujourd hui'],
  tr: ['Merhaba', 'Selam', 'Günaydın', 'gunaydin', 'randevu almak istiyorum', 'Doktora görünmem gerekiyor', 'ateşim var ve boğazım ağrıyor',
    'atesim var bogazim agriyor', 'tahlil sonuçlarım ne zaman çıkar', 'randevumu iptal etmek istiyorum', 'çocuğum dünden beri öksürüyor', 'çok teşekkürler',
    'doktor lazim', 'randevu lutfen', 'sonuclarim', 'randevumu iptal et', 'kendimi kotu hissediyorum', 'yardim edin lutfen', 'pazartesiden beri bas agrisi',
    'klinik bugun acik mi'],
  ru: ['Привет', 'Здравствуйте', 'Добрый день', 'у меня болит горло', 'Я хочу записаться к врачу', 'мне нужно перенести приём', 'когда будут готовы мои анализы',
    'у ребенка температура', 'мне нужен новый рецепт', 'где можно припарковаться', 'спасибо большое', 'нужен врач', 'мои результаты', 'отменить запись',
    'мне плохо', 'помогите пожалуйста', 'голова болит с понедельника', 'клиника сегодня открыта', 'privet', 'u menya bolit golova'],
};

// Measured when the detector was chosen: every message right except Spanish "cancelar mi
// cita" (read as French without a phone). Fewer than 18 right means a dependency or
// lexicon change made detection worse.
const MIN_CORRECT = 18;

describe('language detection from the text alone', () => {
  it.each(SUPPORTED_LANGUAGES)('recognises short %s patient messages', (language) => {
    const wrong = CORPUS[language].flatMap((text) => {
      const detected = detectLanguage({ text });
      return detected.language === language ? [] : [`${text} → ${detected.language} (${detected.source}, ${detected.confidence})`];
    });
    expect(CORPUS[language].length).toBeGreaterThanOrEqual(8);
    // The misses are the compared value, so a failure lists the messages that went wrong.
    expect(CORPUS[language].length - wrong.length >= MIN_CORRECT ? [] : wrong).toEqual([]);
  });

  it.each<[string, Language]>([
    ['Hola', 'es'], ['Hello', 'en'], ['Hi', 'en'], ['Hallo', 'de'], ['Bonjour', 'fr'], ['Salut', 'fr'], ['Merhaba', 'tr'], ['Selam', 'tr'],
    ['Привет', 'ru'], ['Здравствуйте', 'ru'], ['hola doctor', 'es'], ['GUTEN TAG!', 'de'], ['merci 🙏', 'fr'], ['İyi günler', 'tr'],
  ])('reads the greeting "%s" as %s, even from a phone of another country', (text, language) => {
    expect(detectLanguage({ text, phoneE164: '+12125550123' })).toMatchObject({ language, source: 'greeting' });
  });

  it('takes any mostly-Cyrillic text as Russian', () => {
    expect(detectLanguage({ text: 'Добрый вечер, у меня вопрос по записи 🙂' })).toMatchObject({ language: 'ru', source: 'detector' });
  });

  it('is confident about longer texts', () => {
    const detected = detectLanguage({ text: 'je voudrais prendre rendez-vous avec un cardiologue', phoneE164: '+4915112345678' });
    expect(detected).toMatchObject({ language: 'fr', source: 'detector' });
    expect(detected.confidence).toBeGreaterThanOrEqual(0.5);
  });
});

describe('language detection with other evidence', () => {
  it.each<[string, Language]>([
    ['+34612345678', 'es'], ['+4915112345678', 'de'], ['+33612345678', 'fr'], ['+905321234567', 'tr'], ['+79123456789', 'ru'], ['+447400123456', 'en'],
  ])('falls back to the phone’s country (%s → %s) when the text says nothing', (phoneE164, language) => {
    expect(detectLanguage({ text: 'ok', phoneE164 })).toMatchObject({ language, source: 'phone' });
  });

  it('lets the phone settle a text the detector hesitates on', () => {
    // "mes resultats" is French and (almost) Spanish; the detector leans French.
    expect(detectLanguage({ text: 'cancelar mi cita', phoneE164: '+34612345678' })).toMatchObject({ language: 'es', source: 'phone' });
  });

  it('prefers what earlier messages said to the phone’s country when the text hesitates', () => {
    // Greeted in English from a Spanish number; the next message says nothing clear.
    expect(detectLanguage({ text: 'ok', phoneE164: '+34612345678' })).toMatchObject({ language: 'es', source: 'phone' });
    expect(detectLanguage({ text: 'ok', phoneE164: '+34612345678', earlier: 'en' })).toMatchObject({ language: 'en', source: 'earlier' });
    // A clear text still wins over earlier messages.
    expect(detectLanguage({ text: 'Hola, quiero pedir una cita para mañana', phoneE164: '+34612345678', earlier: 'en' })).toMatchObject({ language: 'es' });
  });

  it('defaults to English with nothing to go on', () => {
    expect(detectLanguage({ text: '👍' })).toEqual({ language: 'en', confidence: 0.1, source: 'default' });
    expect(detectLanguage({ text: '', phoneE164: '+80012345678' })).toMatchObject({ language: 'en', source: 'default' });
  });

  it('keeps the language on record, whatever the text and phone say', () => {
    expect(detectLanguage({ text: 'Hola, quiero pedir una cita', phoneE164: '+34612345678', recorded: 'de' })).toEqual({ language: 'de', confidence: 1, source: 'recorded' });
  });
});
