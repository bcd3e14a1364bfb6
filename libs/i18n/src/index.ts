export { SUPPORTED_LANGUAGES, DEFAULT_LANGUAGE, isLanguage, type Language } from './languages';
export { CatalogError } from './catalog-error';
export { MessageCatalog, type BundledMessages, type MessageValues, type MessagesByLanguage } from './catalog';
export { argumentNames } from './icu-arguments';
export { WHATSAPP_LIMITS, whatsappElementOf, type ElementOverrides, type WhatsAppElement } from './whatsapp-limits';
