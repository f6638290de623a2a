import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captionsFromRefs, readRefcoco } from './refcoco.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;

describe('readRefcoco', () => {
  it('reads refs against their instances file and turns them into captions', async () => {
    const { refs, instances } = await readRefcoco(join(fixtures, 'refs.json'), join(fixtures, 'instances.json'));
    expect(instances.images).toHaveLength(4);
    expect(refs[0]).toEqual({
      refId: 1,
      annotationId: 1001,
      imageId: 101,
      categoryId: 3,
      split: 'train',
      sentences: ['orange cat on the left', 'round orange thing'],
    });
    expect([...captionsFromRefs(refs)]).toEqual([
      [1001, 'orange cat on the left'],
      [1008, 'red square bottom right'],
    ]);
    expect([...captionsFromRefs(refs, ['val']).keys()]).toEqual([1008]);
  });

  it('names the bad ref and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pseudo-data-refs-'));
    const refs = JSON.parse(readFileSync(join(fixtures, 'refs.json'), 'utf8'));
    refs[1].sentences[0].sent = 7;
    writeFileSync(join(dir, 'a.json'), JSON.stringify(refs));
    await expect(readRefcoco(join(dir, 'a.json'), join(fixtures, 'instances.json'))).rejects.toThrow(
      'refs[1].sentences[0].sent',
    );
    refs[1].sentences[0].sent = 'ok';
    refs[1].ann_id = 1001;
    writeFileSync(join(dir, 'b.json'), JSON.stringify(refs));
    await expect(readRefcoco(join(dir, 'b.json'), join(fixtures, 'instances.json'))).rejects.toThrow(
      /refs\[1\] \(ann_id 1001\) says image 103/,
    );
  });
});
