import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captionsFromRefs, readRefcoco, readRefsFile } from './refcoco.js';

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

  it("reads refer's refs pickles directly (protocol 2, protocol 4, Python 2 byte strings) like the JSON", async () => {
    const fromJson = await readRefcoco(join(fixtures, 'refs.json'), join(fixtures, 'instances.json'));
    for (const file of ['refs.p', 'refs-protocol4.p', 'refs-py2.p']) {
      const bytes = readFileSync(join(fixtures, file));
      expect(bytes[0]).toBe(0x80); // PROTO: a binary pickle, not JSON
      const fromPickle = await readRefcoco(join(fixtures, file), join(fixtures, 'instances.json'));
      expect(fromPickle.refs).toEqual(fromJson.refs);
    }
    // refer's full layout survives: tokens, raw and sent_ids are read (and ignored by readRefcoco).
    const raw = (await readRefsFile(join(fixtures, 'refs-py2.p'))) as Record<string, unknown>[];
    expect(raw[0]).toMatchObject({
      sent_ids: [1, 2],
      file_name: 'cat-and-two-dogs_1001.png',
      sentences: [{ tokens: ['orange', 'cat', 'on', 'the', 'left'], raw: 'Orange cat on the left.', sent_id: 1 }, {}],
    });
  });

  it('names the refs file when a pickle is broken or holds something else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pseudo-data-refs-pickle-'));
    const bytes = readFileSync(join(fixtures, 'refs.p'));
    writeFileSync(join(dir, 'cut.p'), bytes.subarray(0, 100));
    await expect(readRefsFile(join(dir, 'cut.p'))).rejects.toThrow(
      `${join(dir, 'cut.p')}: cannot read the refs pickle`,
    );
    // protocol 2 pickle of {'a': 1}
    writeFileSync(join(dir, 'dict.p'), Buffer.from('80027d710058010000006171014b01732e', 'hex'));
    await expect(readRefsFile(join(dir, 'dict.p'))).rejects.toThrow(`${join(dir, 'dict.p')}: expected a pickled list`);
    await expect(readRefcoco(join(dir, 'dict.p'), join(fixtures, 'instances.json'))).rejects.toMatchObject({
      name: 'PseudoDataError',
      code: 'BAD_INPUT',
    });
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
