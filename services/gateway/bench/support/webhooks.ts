import { createHmac, randomBytes } from 'node:crypto';

/**
 * Realistic, signed, all-different WhatsApp Cloud API webhooks: the shape of
 * /work/shared/fixtures/whatsapp/text_unicode_name.json (one change, one
 * contact, one text message), a fresh wamid per request (so the gateway's
 * dedupe lets every one through and publishes it), senders rotating over a
 * fixed set of patients (so Kafka keys repeat as in real traffic), names and
 * texts with accents and emoji, and `X-Hub-Signature-256` over the exact bytes.
 */
export interface SignedWebhook {
  readonly body: Buffer;
  readonly signature: string;
}

const FIRST = ['José', 'María', 'Jürgen', 'Zoë', 'Ayşe', 'Łukasz', 'François', 'Nguyễn Thị', 'Søren', 'Inés', 'Ömer', 'Dvořák'];
const LAST = ['Ñúñez Çelik', 'García-Peña', 'Müller', 'Yılmaz', 'Wiśniewski', 'Lefèvre', 'Hoa', 'Kjærgaard', 'Álvarez', 'Øster'];
const TEXTS = [
  'Hola, quiero pedir una cita 🙂',
  'Buenos días, ¿puedo cambiar mi cita del martes a las 09:30?',
  'Guten Tag, ich möchte meinen Termin für nächste Woche bestätigen.',
  'Merhaba, tahlil sonuçlarım hazır mı?',
  'Necesito renovar la receta de mi medicación, por favor 💊',
  'Bonjour, je ne pourrai pas venir demain, désolé 😔',
  'Dzień dobry, czy mogę umówić wizytę u kardiologa?',
  'SÍ',
  'Gracias 🙏',
  'Tengo fiebre desde ayer (38,5 °C) y me duele la garganta. ¿Debo ir a urgencias?',
];

export class WebhookFactory {
  private counter = 0;
  private readonly run = randomBytes(4).toString('hex').toUpperCase();
  private readonly patients: readonly { waId: string; name: string }[];

  constructor(
    private readonly options: {
      readonly appSecret: string;
      /** The business number's phone_number_id (must be in GATEWAY_ENDPOINTS). */
      readonly phoneNumberId: string;
      readonly displayPhoneNumber: string;
      readonly wabaId: string;
      /** How many distinct senders to rotate through. */
      readonly patients: number;
    },
  ) {
    this.patients = Array.from({ length: options.patients }, (_, i) => ({
      // Spanish mobile numbers as WhatsApp writes them: country code, no "+".
      waId: `346${String(10_000_000 + i * 7_919).padStart(8, '0')}`,
      name: `${FIRST[i % FIRST.length] ?? ''} ${LAST[Math.floor(i / FIRST.length) % LAST.length] ?? ''}`,
    }));
  }

  /** Webhooks built so far. */
  get built(): number {
    return this.counter;
  }

  next(now = Date.now()): SignedWebhook {
    const n = this.counter++;
    const patient = this.patients[n % this.patients.length] ?? { waId: '34600000000', name: 'Paciente' };
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: this.options.wabaId,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: this.options.displayPhoneNumber, phone_number_id: this.options.phoneNumberId },
                contacts: [{ profile: { name: patient.name }, wa_id: patient.waId }],
                messages: [{ from: patient.waId, id: this.wamid(patient.waId, n), timestamp: String(Math.floor(now / 1000)), type: 'text', text: { body: TEXTS[n % TEXTS.length] ?? 'Hola' } }],
              },
              field: 'messages',
            },
          ],
        },
      ],
    };
    // Meta sends UTF-8, not \u escapes, as JSON.stringify does.
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    return { body, signature: `sha256=${createHmac('sha256', this.options.appSecret).update(body).digest('hex')}` };
  }

  /** Meta's layout (see the simulator's README), with this run's id and a counter as the unique part. */
  private wamid(waId: string, n: number): string {
    const unique = `${this.run}${n.toString(16).toUpperCase().padStart(12, '0')}`; // 20 hex characters
    const bytes = Buffer.concat([
      Buffer.from([0x1c, 0x18, waId.length]),
      Buffer.from(waId, 'ascii'),
      Buffer.from([0x15, 0x02, 0x00, 0x12, 0x18, 0x14]),
      Buffer.from(unique, 'ascii'),
      Buffer.from([0x00]),
    ]);
    return `wamid.${bytes.toString('base64')}`;
  }
}
