import { MetaError, META_ERRORS } from '../meta-errors';
import type { TemplateComponent, TemplatePayload } from './send-payload';

export type TemplateCategory = 'marketing' | 'utility' | 'authentication';

export type TemplateButton = { readonly type: 'quick_reply'; readonly text: string } | { readonly type: 'url'; readonly text: string; readonly url: string };

/**
 * An approved template as WhatsApp Manager would hold it. Parameter counts are derived from the
 * `{{1}}` / `{{name}}` placeholders, which is how Meta counts "expected params".
 */
export interface TemplateDefinition {
  readonly name: string;
  /** Locale code as sent in `language.code`, e.g. `es`, `en_US`. */
  readonly language: string;
  readonly category: TemplateCategory;
  readonly body: string;
  readonly header?: { readonly format: 'text'; readonly text: string } | { readonly format: 'image' | 'video' | 'document' };
  readonly footer?: string;
  readonly buttons?: readonly TemplateButton[];
}

/** Meta's sample template, present on every new WhatsApp Business Account. */
export const HELLO_WORLD_TEMPLATE: TemplateDefinition = {
  name: 'hello_world',
  language: 'en_US',
  category: 'utility',
  header: { format: 'text', text: 'Hello World' },
  body: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
  footer: 'WhatsApp Business Platform sample message',
};

/** A quick-reply button of a sent template, as the patient can press it. */
export interface SentTemplateButton {
  readonly index: number;
  readonly text: string;
  /** What comes back in the webhook's `button.payload`; Meta falls back to the button text. */
  readonly payload: string;
}

export interface ResolvedTemplate {
  readonly definition: TemplateDefinition;
  readonly renderedHeader: string | undefined;
  readonly renderedBody: string;
  readonly quickReplies: readonly SentTemplateButton[];
}

export class TemplateRegistry {
  private readonly templates = new Map<string, TemplateDefinition>();

  constructor(definitions: readonly TemplateDefinition[]) {
    this.register(HELLO_WORLD_TEMPLATE);
    for (const definition of definitions) this.register(definition);
  }

  register(definition: TemplateDefinition): void {
    this.templates.set(key(definition.name, definition.language), definition);
  }

  list(): TemplateDefinition[] {
    return [...this.templates.values()];
  }

  /**
   * Checks a template send against the registry: unknown name/language → 132001 (HTTP 404),
   * parameter counts that differ from the placeholders → 132000, as Meta's error reference documents.
   */
  resolve(template: TemplatePayload): ResolvedTemplate {
    const definition = this.templates.get(key(template.name, template.language.code));
    if (definition === undefined) {
      // Observed details format: "template name (hello_worl) does not exist in en_US".
      throw new MetaError({ ...META_ERRORS.templateDoesNotExist, details: `template name (${template.name}) does not exist in ${template.language.code}` });
    }
    const components = template.components ?? [];
    const body = components.find((c) => c.type === 'body');
    const header = components.find((c) => c.type === 'header');

    const bodyParams = textParameters(body);
    expectCount('body', bodyParams.length, placeholders(definition.body).length);
    let renderedHeader: string | undefined;
    if (definition.header?.format === 'text') {
      const headerParams = textParameters(header);
      expectCount('header', headerParams.length, placeholders(definition.header.text).length);
      renderedHeader = fill(definition.header.text, headerParams);
    } else if (definition.header !== undefined) {
      expectCount('header', header?.parameters?.length ?? 0, 1);
      renderedHeader = `[${definition.header.format}]`;
    } else if (header !== undefined) {
      expectCount('header', header.parameters?.length ?? 0, 0);
    }
    return {
      definition,
      renderedHeader,
      renderedBody: fill(definition.body, bodyParams),
      quickReplies: quickReplies(definition, components),
    };
  }
}

function key(name: string, language: string): string {
  return `${name}\u0000${language}`;
}

/** Distinct placeholders in order of first appearance: `{{1}}`, `{{first_name}}`. */
export function placeholders(text: string): string[] {
  const seen: string[] = [];
  for (const match of text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) {
    const name = match[1];
    if (name !== undefined && !seen.includes(name)) seen.push(name);
  }
  return seen;
}

function textParameters(component: TemplateComponent | undefined): string[] {
  return (component?.parameters ?? []).map((p) => p.text ?? p.payload ?? `[${p.type}]`);
}

function expectCount(where: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new MetaError({
      ...META_ERRORS.templateParamCountMismatch,
      // Observed details format (Meta 132000): "body: number of localizable_params (0) does not match the expected number of params (1)".
      details: `${where}: number of localizable_params (${actual}) does not match the expected number of params (${expected})`,
    });
  }
}

function fill(text: string, values: readonly string[]): string {
  const names = placeholders(text);
  return text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => {
    const index = names.indexOf(name);
    return values[index] ?? whole;
  });
}

function quickReplies(definition: TemplateDefinition, components: readonly TemplateComponent[]): SentTemplateButton[] {
  const result: SentTemplateButton[] = [];
  (definition.buttons ?? []).forEach((button, index) => {
    if (button.type !== 'quick_reply') return;
    const component = components.find((c) => c.type === 'button' && c.sub_type === 'quick_reply' && Number(c.index) === index);
    const payload = component?.parameters?.find((p) => p.type === 'payload')?.payload;
    result.push({ index, text: button.text, payload: payload ?? button.text });
  });
  for (const component of components) {
    if (component.type !== 'button') continue;
    const index = Number(component.index);
    const button = definition.buttons?.[index];
    if (!Number.isInteger(index) || button === undefined || (component.sub_type !== undefined && component.sub_type !== button.type)) {
      throw new MetaError({ ...META_ERRORS.parameterValueInvalid, details: `Invalid button component: index ${String(component.index)} is not a ${String(component.sub_type)} button of template ${definition.name}` });
    }
  }
  (definition.buttons ?? []).forEach((button, index) => {
    if (button.type !== 'url') return;
    const component = components.find((c) => c.type === 'button' && Number(c.index) === index);
    expectCount(`button ${index}`, component?.parameters?.length ?? 0, placeholders(button.url).length);
  });
  return result;
}
