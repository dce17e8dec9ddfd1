import type { Setting, SettingKind } from './settings';

/** The result of reading one environment string: a typed value, or why it is not one. */
export type Coerced = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

// Decimal notation only: Number() would also take hex, binary, 'Infinity' and blank strings.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', '1']);
const FALSE_WORDS = new Set(['false', '0']);

/** The separator of list values in one environment variable. */
export const LIST_SEPARATOR = ',';

/**
 * Reads an environment string as a value of the setting's type: numbers in decimal
 * notation, booleans as `true`/`false`/`1`/`0` (any case), lists comma-separated with blanks
 * around items dropped. Enums and strings pass through; zod checks them.
 */
export function coerceEnv(kind: SettingKind, raw: string): Coerced {
  switch (kind.type) {
    case 'number': {
      const text = raw.trim();
      return DECIMAL.test(text) ? { ok: true, value: Number(text) } : { ok: false };
    }
    case 'boolean': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) {
        return { ok: true, value: true };
      }
      return FALSE_WORDS.has(word) ? { ok: true, value: false } : { ok: false };
    }
    case 'enum':
      return { ok: true, value: raw.trim() };
    case 'list': {
      const values: unknown[] = [];
      for (const item of raw.split(LIST_SEPARATOR).map((part) => part.trim())) {
        if (item === '') {
          continue;
        }
        const element = coerceEnv(kind.element, item);
        if (!element.ok) {
          return element;
        }
        values.push(element.value);
      }
      return { ok: true, value: values };
    }
    case 'string':
    case 'other':
      return { ok: true, value: raw };
  }
}

/** What a setting expects, in the words of the source it was read from. */
export function expectedFrom(setting: Setting, source: 'env' | 'file' | 'default'): string {
  if (source !== 'env') {
    return setting.expected;
  }
  if (setting.kind.type === 'boolean') {
    return 'true, false, 1 or 0';
  }
  if (setting.kind.type === 'list') {
    return setting.expected.replace(/^a list of/, 'a comma-separated list of');
  }
  return setting.expected;
}
