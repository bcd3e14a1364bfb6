import { MetaError, META_ERRORS } from '../meta-errors';
import {
  mediaOf,
  type ButtonInteractive,
  type InteractiveHeader,
  type ListInteractive,
  type MediaObject,
  type SendMessagePayload,
} from './send-payload';

/**
 * Documented limits of outbound messages, with their sources:
 * - text body ≤ 4096: Meta "Text messages" reference.
 * - interactive body ≤ 1024, footer ≤ 60, text header ≤ 60: Meta's WhatsApp Node.js SDK reference
 *   (InteractiveObject / HeaderObject), same numbers as the Cloud API interactive message pages.
 * - list: button ≤ 20, 1–10 sections, ≤ 10 rows in total, row id ≤ 200, row title ≤ 24,
 *   row description ≤ 72, section title ≤ 24 and required with several sections: Meta
 *   "Interactive list messages".
 * - reply buttons: 1–3 buttons, title ≤ 20 and unique, id ≤ 256: Meta "Interactive reply buttons
 *   messages" / SDK ButtonObject ("must be unique within the message").
 * - media caption ≤ 1024: Meta "Media messages".
 * Lengths count characters (code points), not bytes: real sends with 20 "ç" (40 bytes) pass a 20 limit.
 * Interactive violations are 131009 "Parameter value is not valid" with `error_data.details`; the
 * details for button count/title, total rows and row title are the strings real responses carry,
 * the others follow the same phrasing.
 */
export const LIMITS = {
  textBody: 4096,
  interactiveBody: 1024,
  headerText: 60,
  footerText: 60,
  listButton: 20,
  listSectionsMax: 10,
  listRowsTotalMax: 10,
  rowId: 200,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
  buttonsMax: 3,
  buttonTitle: 20,
  buttonId: 256,
  mediaCaption: 1024,
} as const;

/** Length as WhatsApp counts it: characters, so an emoji is one, not two UTF-16 units. */
export function charCount(value: string): number {
  let count = 0;
  for (const _char of value) count += 1;
  return count;
}

export function validateMessage(payload: SendMessagePayload): void {
  switch (payload.type) {
    case 'text':
      validateTextBody(payload.text.body);
      return;
    case 'interactive':
      if (payload.interactive.type === 'list') validateList(payload.interactive);
      else validateButtons(payload.interactive);
      return;
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      validateMedia(payload.type, mediaOf(payload));
      return;
    case 'location':
      validateLocation(payload.location.latitude, payload.location.longitude);
      return;
    case 'contacts':
      if (payload.contacts.length === 0) throw required('contacts', 'At least one contact is required.');
      return;
    case 'reaction':
      if (payload.reaction.message_id.trim() === '') throw required("reaction['message_id']", 'The reacted message id is required.');
      return;
    case 'template':
      // Checked against the approved-template registry (templates.ts).
      return;
  }
}

function validateTextBody(body: string): void {
  if (body.length === 0) throw invalidParam("The parameter text['body'] is required.");
  const length = charCount(body);
  if (length > LIMITS.textBody) {
    // Graph's phrasing for string-length violations of plain parameters.
    throw invalidParam(`Param text['body'] must be at most ${LIMITS.textBody} characters long.`);
  }
}

function validateCommon(header: InteractiveHeader | undefined, body: string, footer: string | undefined, headerMustBeText: boolean): void {
  checkLength(body, 1, LIMITS.interactiveBody, 'Body text length invalid', 'body.text');
  if (footer !== undefined) checkLength(footer, 1, LIMITS.footerText, 'Footer text length invalid', 'footer.text');
  if (header === undefined) return;
  if (header.type === 'text') {
    checkLength(header.text, 1, LIMITS.headerText, 'Header text length invalid', 'header.text');
    return;
  }
  if (headerMustBeText) throw invalidValue(`Header type must be text for list messages, got ${header.type}`);
  const media = header.type === 'image' ? header.image : header.type === 'video' ? header.video : header.document;
  validateMedia(`header.${header.type}`, media, false);
}

function validateList(list: ListInteractive): void {
  validateCommon(list.header, list.body.text, list.footer?.text, true);
  checkLength(list.action.button, 1, LIMITS.listButton, 'List button text length invalid', 'action.button');
  const sections = list.action.sections;
  if (sections.length < 1 || sections.length > LIMITS.listSectionsMax) {
    throw invalidValue(`Invalid sections count. Min allowed sections: 1, Max allowed sections: ${LIMITS.listSectionsMax}`);
  }
  const totalRows = sections.reduce((sum, section) => sum + section.rows.length, 0);
  if (totalRows > LIMITS.listRowsTotalMax) throw invalidValue(`Total row count exceed max allowed count: ${LIMITS.listRowsTotalMax}`);
  const rowIds = new Set<string>();
  sections.forEach((section, s) => {
    const where = `action.sections[${s}]`;
    if (section.title === undefined || section.title.trim() === '') {
      if (sections.length > 1) throw invalidValue(`Section title is required when a list has more than one section (${where}.title)`);
    } else if (charCount(section.title) > LIMITS.sectionTitle) {
      throw invalidValue(`Section title is too long. Max length is ${LIMITS.sectionTitle} (${where}.title has ${charCount(section.title)} characters)`);
    }
    if (section.rows.length === 0) throw invalidValue(`Invalid rows count. Min allowed rows per section: 1 (${where}.rows)`);
    section.rows.forEach((row, r) => {
      const at = `${where}.rows[${r}]`;
      if (row.id.trim() === '') throw invalidValue(`Row id is required (${at}.id)`);
      if (charCount(row.id) > LIMITS.rowId) throw invalidValue(`Row id is too long. Max length is ${LIMITS.rowId} (${at}.id has ${charCount(row.id)} characters)`);
      if (rowIds.has(row.id)) throw invalidValue(`Row ids must be unique within the message (${at}.id "${row.id}" is repeated)`);
      rowIds.add(row.id);
      if (row.title.trim() === '') throw invalidValue(`Row title is required (${at}.title)`);
      if (charCount(row.title) > LIMITS.rowTitle) {
        throw invalidValue(`Row title is too long. Max length is ${LIMITS.rowTitle} (${at}.title has ${charCount(row.title)} characters)`);
      }
      if (row.description !== undefined && charCount(row.description) > LIMITS.rowDescription) {
        throw invalidValue(`Row description is too long. Max length is ${LIMITS.rowDescription} (${at}.description has ${charCount(row.description)} characters)`);
      }
    });
  });
}

function validateButtons(message: ButtonInteractive): void {
  validateCommon(message.header, message.body.text, message.footer?.text, false);
  const buttons = message.action.buttons;
  if (buttons.length < 1 || buttons.length > LIMITS.buttonsMax) {
    throw invalidValue(`Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: ${LIMITS.buttonsMax}`);
  }
  const titles = new Set<string>();
  const ids = new Set<string>();
  buttons.forEach((button, b) => {
    const at = `action.buttons[${b}].reply`;
    checkLength(button.reply.title, 1, LIMITS.buttonTitle, 'Button title length invalid', `${at}.title`);
    checkLength(button.reply.id, 1, LIMITS.buttonId, 'Button id length invalid', `${at}.id`);
    if (titles.has(button.reply.title)) throw invalidValue(`Button titles must be unique within the message (${at}.title "${button.reply.title}" is repeated)`);
    if (ids.has(button.reply.id)) throw invalidValue(`Button ids must be unique within the message (${at}.id "${button.reply.id}" is repeated)`);
    titles.add(button.reply.title);
    ids.add(button.reply.id);
  });
}

function validateMedia(where: string, media: MediaObject | undefined, captionAllowed = true): void {
  if (media === undefined) throw required(where, `The parameter ${where} is required.`);
  const hasId = media.id !== undefined && media.id !== '';
  const hasLink = media.link !== undefined && media.link !== '';
  if (!hasId && !hasLink) throw required(where, `Either id or link is required for ${where}.`);
  if (hasId && hasLink) throw invalidParam(`Param ${where} must have either id or link, not both.`);
  if (hasLink && !/^https?:\/\//i.test(media.link ?? '')) throw invalidValue(`Invalid media link for ${where}: must be an http(s) URL`);
  if (media.caption !== undefined) {
    if (!captionAllowed || where === 'audio' || where === 'sticker') throw invalidParam(`Param ${where}['caption'] is not supported for this media type.`);
    if (charCount(media.caption) > LIMITS.mediaCaption) throw invalidValue(`Caption length invalid. Min length: 0, Max length: ${LIMITS.mediaCaption}`);
  }
}

function validateLocation(latitude: number, longitude: number): void {
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90) throw invalidValue('Invalid latitude. Must be between -90 and 90');
  if (!Number.isFinite(longitude) || longitude < -180 || longitude > 180) throw invalidValue('Invalid longitude. Must be between -180 and 180');
}

function checkLength(value: string, min: number, max: number, phrase: string, where: string): void {
  const length = charCount(value);
  if (length < min || length > max || value.trim() === '') {
    throw invalidValue(`${phrase}. Min length: ${min}, Max length: ${max} (${where} has ${length} characters)`);
  }
}

function invalidValue(details: string): MetaError {
  return new MetaError({ ...META_ERRORS.parameterValueInvalid, details });
}

function invalidParam(message: string): MetaError {
  return new MetaError({ ...META_ERRORS.invalidParameter, message: `(#100) ${message}` });
}

function required(_where: string, details: string): MetaError {
  return new MetaError({ ...META_ERRORS.requiredParameterMissing, details });
}
