import { PromptError } from './errors.js';

/**
 * `an` when the word starts with a vowel letter (a, e, i, o, u, either case), else `a`: the rule by first letter.
 * Leading spaces are skipped. POPE's question builder instead ran `replace("a", "an")` on the whole question,
 * which also rewrote the `a` inside other words; this looks at the first letter of the word only.
 */
export function indefiniteArticle(word: string): 'a' | 'an' {
  const first = word.trimStart().charAt(0).toLowerCase();
  return 'aeiou'.includes(first) && first !== '' ? 'an' : 'a';
}

/** `word` with its indefinite article: `an apple`, `a dog`, `an Umbrella`. */
export function withIndefiniteArticle(word: string): string {
  return `${indefiniteArticle(word)} ${word}`;
}

// Python's str.strip() with no argument removes characters for which str.isspace() is true. JavaScript's trim() uses
// a different set (it strips U+FEFF, keeps U+001C..U+001F and U+0085), so LLaVA's `.strip()` is reproduced exactly.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `str.strip()`: whitespace as Python defines it, removed from both ends. */
export function pythonStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** Python's `str.lstrip(chars)`: removes every leading character that occurs in `chars` (a set, not a prefix). */
export function pythonLstrip(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text.charAt(start))) start++;
  return text.slice(start);
}

/**
 * Fill `{name}` slots of a template in one pass, so a value that itself contains `{loc}` or `$&` is inserted as is.
 * Every slot in the template must be given.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (slot, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new PromptError('BAD_INPUT', `template slot ${slot} has no value in template "${template}"`);
    }
    return value;
  });
}

/** A non-empty string after trimming, or a PromptError naming `where`. */
export function requireText(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PromptError('BAD_INPUT', `${where} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}
