import { z } from 'zod';

/** Bodies of the `/_sim` admin routes (JSON boundary; everything past here is typed). */

const replyTarget = { to: z.string().optional() };

export const patientMessageSchema = z.intersection(
  z.object({
    /** Profile name for a patient the simulator does not know yet. */
    name: z.string().optional(),
    profileName: z.string().optional(),
    username: z.string().optional(),
    phoneNumberId: z.string().optional(),
  }),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('text'), text: z.string().min(1), replyTo: z.string().optional() }),
    z.object({ type: z.literal('list_reply'), replyId: z.string().min(1), ...replyTarget }),
    z.object({ type: z.literal('button_reply'), replyId: z.string().min(1), ...replyTarget }),
    /** Template quick reply, by button text or payload. */
    z.object({ type: z.literal('template_button'), replyId: z.string().min(1), ...replyTarget }),
    z.object({ type: z.literal('image'), caption: z.string().optional(), mimeType: z.string().optional() }),
    z.object({ type: z.literal('location'), latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }),
    z.object({ type: z.literal('reaction'), messageId: z.string().min(1), emoji: z.string() }),
    z.object({ type: z.literal('read'), messageId: z.string().optional() }),
  ]),
);
export type PatientMessageRequest = z.infer<typeof patientMessageSchema>;

export const messengerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1), name: z.string().optional() }),
  z.object({ type: z.literal('quick_reply'), payload: z.string().min(1), title: z.string().min(1), name: z.string().optional() }),
]);

export const failureSpecSchema = z.object({
  match: z
    .object({
      to: z.string().optional(),
      type: z.string().optional(),
      phoneNumberId: z.string().optional(),
      channel: z.enum(['whatsapp', 'messenger']).optional(),
    })
    .optional(),
  /** A count, or "always" until cleared. */
  times: z.union([z.number().int().positive(), z.literal('always')]).optional(),
  response: z.union([
    z.literal('network-drop'),
    z.object({
      code: z.number().int(),
      httpStatus: z.number().int().min(400).max(599).optional(),
      title: z.string().optional(),
      message: z.string().optional(),
      details: z.string().optional(),
      subcode: z.number().int().optional(),
      delivery: z.enum(['sync', 'async']).optional(),
    }),
  ]),
});

export const webhookConfigSchema = z.object({
  url: z.url().nullable().optional(),
  messengerUrl: z.url().nullable().optional(),
});

export const templateDefinitionSchema = z.object({
  name: z.string().min(1),
  language: z.string().min(1),
  category: z.enum(['marketing', 'utility', 'authentication']),
  body: z.string(),
  header: z
    .union([z.object({ format: z.literal('text'), text: z.string() }), z.object({ format: z.enum(['image', 'video', 'document']) })])
    .optional(),
  footer: z.string().optional(),
  buttons: z
    .array(
      z.union([
        z.object({ type: z.literal('quick_reply'), text: z.string().min(1) }),
        z.object({ type: z.literal('url'), text: z.string().min(1), url: z.string().min(1) }),
      ]),
    )
    .optional(),
});

export const templateListSchema = z.array(templateDefinitionSchema);
