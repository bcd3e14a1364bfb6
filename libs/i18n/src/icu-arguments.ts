import { TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

/**
 * The argument names a parsed ICU message uses, including those nested in plural/select
 * branches. Translations must use exactly the same names as English, or a caller that
 * passes English's arguments would get a MissingValueError in one language only.
 */
export function argumentNames(elements: readonly MessageFormatElement[]): Set<string> {
  const names = new Set<string>();
  collect(elements, names);
  return names;
}

function collect(elements: readonly MessageFormatElement[], names: Set<string>): void {
  for (const element of elements) {
    switch (element.type) {
      case TYPE.literal:
      case TYPE.pound:
        break;
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        names.add(element.value);
        break;
      case TYPE.select:
      case TYPE.plural:
        names.add(element.value);
        for (const option of Object.values(element.options)) collect(option.value, names);
        break;
      case TYPE.tag:
        collect(element.children, names);
        break;
    }
  }
}
