// The Python trainer tokenises with its own BPE code; the runtime with @huggingface/tokenizers on tokenizer.json.
// They must agree id for id, or the model sees different tokens at inference than in training. model/reference.json
// holds texts and the ids the trainer gave them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';

const MODEL_DIR = process.env.SHAPES_LAB_MODEL ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'model');
// Until a trained model that meets the goals is committed under model/ these checks cannot run: they are reported
// as skipped, never as passed. SHAPES_LAB_MODEL=<dir> runs them on any export (e.g. a candidate in .tmp/).
const HAVE_MODEL = existsSync(join(MODEL_DIR, 'config.json'));
const read = (f: string) => JSON.parse(readFileSync(join(MODEL_DIR, f), 'utf8'));

describe.skipIf(!HAVE_MODEL)('tokenizer.json', () => {
  const load = () => new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));

  it('encodes like the Python trainer did', () => {
    const tokenizer = load();
    const reference = read('reference.json') as { tokenizer: { text: string; ids: number[] }[] };
    expect(reference.tokenizer.length).toBeGreaterThan(5);
    for (const { text, ids } of reference.tokenizer) expect(tokenizer.encode(text).ids, text).toEqual(ids);
  });

  it('keeps every digit a token of its own', () => {
    const tokenizer = load();
    const ids = tokenizer.encode('It is located at (10, 31, 25, 7)').ids;
    const pieces = ids.map((id) => tokenizer.id_to_token(id) ?? '');
    for (const p of pieces) if (/\d/.test(p)) expect(p.replace('\u2581', '')).toMatch(/^\d$/);
  });
});
