// The Python trainer tokenises with its own BPE code; the runtime with @huggingface/tokenizers on tokenizer.json.
// They must agree id for id, or the model sees different tokens at inference than in training. model/reference.json
// holds texts and the ids the trainer gave them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';

const MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'model');
const read = (f: string) => JSON.parse(readFileSync(join(MODEL_DIR, f), 'utf8'));

describe('tokenizer.json', () => {
  const tokenizer = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  const reference = read('reference.json') as { tokenizer: { text: string; ids: number[] }[] };

  it('encodes like the Python trainer did', () => {
    expect(reference.tokenizer.length).toBeGreaterThan(5);
    for (const { text, ids } of reference.tokenizer) expect(tokenizer.encode(text).ids, text).toEqual(ids);
  });

  it('keeps every digit a token of its own', () => {
    const ids = tokenizer.encode('It is located at (10, 31, 25, 7)').ids;
    const pieces = ids.map((id) => tokenizer.id_to_token(id) ?? '');
    for (const p of pieces) if (/\d/.test(p)) expect(p.replace('\u2581', '')).toMatch(/^\d$/);
  });
});
