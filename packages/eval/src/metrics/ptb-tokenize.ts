// Caption tokenisation as pycocoevalcap prepares text for BLEU and CIDEr: Stanford PTBTokenizer (CoreNLP 3.4.1,
// -lowerCase -preserveLines) followed by dropping the punctuation tokens listed in its ptbtokenizer.py. This is a
// rule-based re-expression without a JVM; see the README for the cases where it can differ.

/** Tokens pycocoevalcap's PTBTokenizer wrapper removes after tokenising. */
export const PTB_PUNCTUATION: readonly string[] = [
  "''",
  "'",
  '``',
  '`',
  '-LRB-',
  '-RRB-',
  '-LCB-',
  '-RCB-',
  '.',
  '?',
  '!',
  ',',
  ':',
  '-',
  '--',
  '...',
  ';',
];
const punctuation = new Set(PTB_PUNCTUATION.map((p) => p.toLowerCase()));

// Clitics PTB splits off the word before them.
const clitic = /^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$/;

/** Lower-case PTB-style tokens of one caption, punctuation tokens removed (pycocoevalcap's tokenised form). */
export function ptbTokenize(text: string): string[] {
  let s = ` ${text.replace(/[\r\n]+/g, ' ').toLowerCase()} `;
  s = s.replace(/[“”"]/g, ' " ').replace(/[‘’`]/g, "'");
  s = s.replace(/\.\.\./g, ' ... ');
  s = s.replace(/([()[\]{}])/g, ' $1 ');
  s = s.replace(/([,;:?!%&$#@])/g, ' $1 ');
  s = s.replace(/--/g, ' -- ');
  const out: string[] = [];
  for (let token of s.split(/\s+/)) {
    if (token === '') continue;
    // Quotes opening or closing a word are their own tokens.
    const lead: string[] = [];
    while (token.length > 1 && token.startsWith("'") && !/^'(s|re|ve|ll|d|m)$/.test(token)) {
      lead.push("'");
      token = token.slice(1);
    }
    const trail: string[] = [];
    // A final period leaves the word unless the word is a dotted abbreviation (u.s.) or a lone letter.
    if (token.length > 1 && token.endsWith('.') && !/^([a-z]\.)+$/.test(token) && !/^\.+$/.test(token)) {
      trail.unshift('.');
      token = token.slice(0, -1);
    }
    while (token.length > 1 && token.endsWith("'") && !token.endsWith("n'")) {
      trail.unshift("'");
      token = token.slice(0, -1);
    }
    out.push(...lead);
    const m = clitic.exec(token);
    if (m && m[1] !== "'") out.push(m[1]!, m[2]!);
    else out.push(token);
    out.push(...trail);
  }
  return out.filter(
    (t) =>
      !punctuation.has(t) &&
      !/^-+$/.test(t) &&
      t !== '(' &&
      t !== ')' &&
      t !== '[' &&
      t !== ']' &&
      t !== '{' &&
      t !== '}' &&
      t !== '"',
  );
}

/** {@link ptbTokenize} joined by spaces: the string pycocoevalcap hands to its scorers. */
export function ptbTokenizeToString(text: string): string {
  return ptbTokenize(text).join(' ');
}
