// Meteor 1.5's `-norm` text normalisation for English (edu.cmu.meteor.util.Normalizer, English branch, keep
// punctuation), followed by lower-casing as MeteorScorer does. Rules re-expressed from the reference's description:
// a Moses-style tokeniser with quote/dash normalisation, dashes between words split, dotted acronyms undotted.
import prefixes from '../data/english-nonbreaking-prefixes.json';

// Latin letters (with Western European accents) and Cyrillic, as Meteor 1.5 lists them.
const ALPHA = 'A-Za-zŠŽšžŸÀ-ÖØ-öø-žЀ-ӿԀ-ԧꙀ-ꙮ꙾-ꚗᴀ-ᵿ';
const ALNUM = `0-9${ALPHA}`;
// Java's \s: space, tab, newline, vertical tab, form feed, carriage return.
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';

const sepOther = new RegExp(`([^${ALNUM}${JAVA_SPACE}.'\`,\\-‘’])`, 'g');
const multiDot = /\.(\.+)/g;
const multiDot2 = /DOTMULTI\.([^.])/g;
const commaNonDigits = /([^0-9]),([^0-9])/g;
const commaDigitLeft = /([0-9]),([^0-9])/g;
const commaDigitRight = /([^0-9]),([0-9])/g;
const quoteSingle = /[`‘’]/g;
const quoteDouble = /[“”]|''/g;
const dashBetweenWords = new RegExp(`([${ALNUM}.])-([${ALNUM}])`, 'g');
const contEn1 = new RegExp(`([^${ALPHA}])'([^${ALPHA}])`, 'g');
const contEn2 = new RegExp(`([^${ALPHA}0-9])'([${ALPHA}])`, 'g');
const contEn3 = new RegExp(`([${ALPHA}])'([^${ALPHA}])`, 'g');
const contEn4 = new RegExp(`([${ALPHA}])'([${ALPHA}])`, 'g');
const contEn5 = /([0-9])'(s)/g;
const punctStrip = new RegExp(`[^${ALNUM}]`, 'g');
const hasAlpha = new RegExp(`[${ALPHA}]`);
// Unicode space separators plus the ASCII space, as Meteor 1.5 collapses them.
const whiteRun = /[ \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;
const plainText = /^[A-Za-z0-9 ]*\.?[ ]*$/;
// Java StringTokenizer's default delimiters.
const tokenDelims = /[ \t\n\r\f]+/;

const NBP_ANY = 1;
const NBP_NUMERIC_ONLY = 2;
const nonbreaking = new Map<string, number>([
  ...prefixes.any.map((p): [string, number] => [p, NBP_ANY]),
  ...prefixes.numericOnly.map((p): [string, number] => [p, NBP_NUMERIC_ONLY]),
]);

/** Meteor's normalisation modes: `norm` is the `-norm` flag pycocoevalcap passes; `normNoPunct` adds `-noPunct`. */
export type MeteorNormalization = 'norm' | 'normNoPunct' | 'lowercase' | 'none';

/** Apply Meteor 1.5's English `-norm` tokenisation (punctuation kept unless keepPunctuation is false); no lower-casing. */
export function meteorNormalizeLine(line: string, keepPunctuation = true): string {
  if (keepPunctuation && plainText.test(line)) return normalizePlain(line);
  return normalizeGeneral(line, keepPunctuation);
}

/** The full rule set (exported for tests that check the plain-text fast path against it). */
export function normalizeGeneral(line: string, keepPunctuation = true): string {
  let s = ` ${line} `;
  s = s.replace(sepOther, ' $1 ');
  s = s.replace(multiDot, ' DOTMULTI$1');
  while (s.includes('DOTMULTI.')) {
    s = s.replace(multiDot2, 'DOTDOTMULTI $1');
    s = s.replaceAll('DOTMULTI.', 'DOTDOTMULTI');
  }
  s = s.replace(commaNonDigits, '$1 , $2');
  s = s.replace(commaDigitLeft, '$1 , $2');
  s = s.replace(commaDigitRight, '$1 , $2');
  s = s.replace(quoteSingle, "'");
  s = s.replace(quoteDouble, ' " ');
  s = s.replaceAll('–', '-');
  s = s.replaceAll('--', '-');
  s = s.replace(dashBetweenWords, '$1 $2');
  s = s.replace(contEn1, "$1 ' $2");
  s = s.replace(contEn2, "$1 ' $2");
  s = s.replace(contEn3, "$1 ' $2");
  s = s.replace(contEn4, "$1 '$2");
  s = s.replace(contEn5, "$1 '$2");

  const words = s.split(tokenDelims).filter((w) => w.length > 0);
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    if (word.length > 1 && word.endsWith('.')) {
      const pre = word.slice(0, -1);
      const type = nonbreaking.get(pre);
      if (pre.includes('.') && hasAlpha.test(pre)) {
        // Dotted acronyms lose their dots (U.S. -> US) so undotted output still matches.
        out += word.replaceAll('.', '');
      } else if (type === NBP_ANY || (next !== undefined && /^[a-z]/.test(next))) {
        out += word;
      } else if (type === NBP_NUMERIC_ONLY && next !== undefined && /^[0-9]+/.test(next)) {
        out += word;
      } else {
        out += `${pre} .`;
      }
    } else {
      out += word;
    }
    out += ' ';
  }
  s = out;
  while (s.includes('DOTDOTMULTI')) s = s.replaceAll('DOTDOTMULTI', 'DOTMULTI.');
  s = s.replaceAll('DOTMULTI', '.');
  if (!keepPunctuation) s = s.replace(punctStrip, ' ');
  return javaTrim(s.replace(whiteRun, ' '));
}

/** Normalise a line the way MeteorScorer does for the given mode, then split it into words. */
export function meteorTokenize(line: string, mode: MeteorNormalization): string[] {
  let s = line;
  if (mode === 'norm' || mode === 'normNoPunct') s = meteorNormalizeLine(s, mode === 'norm');
  if (mode !== 'none') s = s.toLowerCase();
  return s.split(tokenDelims).filter((w) => w.length > 0);
}

// Java's String.trim removes every char <= U+0020 at both ends.
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  return s.slice(start, end);
}

// With only ASCII letters, digits and spaces (and at most one final period) no rule changes anything but the
// spacing and that period, which leaves its word unless the word is a nonbreaking prefix.
function normalizePlain(line: string): string {
  const text = javaTrim(line.replace(whiteRun, ' '));
  if (!text.endsWith('.') || text.length === 1) return text;
  const lastSpace = text.lastIndexOf(' ');
  const pre = text.slice(lastSpace + 1, -1);
  if (pre === '' || nonbreaking.get(pre) === NBP_ANY) return text;
  return `${text.slice(0, -1)} .`;
}
