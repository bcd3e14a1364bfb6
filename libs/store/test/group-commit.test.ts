import { duplicateKeyIndexes, GroupCommit, GroupCommittedInserts, GroupCommitWithResults, onlyDuplicateKeys } from '@careloop/store';

function deferred() {
  let release: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release: () => release() };
}

describe('GroupCommit', () => {
  it('writes the first item at once and gathers those that arrive meanwhile into the next batch', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const commit = new GroupCommit<number>((items) => {
      batches.push([...items]);
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    const first = commit.add(1);
    const rest = [2, 3, 4].map((n) => commit.add(n));
    expect(batches).toEqual([[1]]);
    gates[0]?.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates[1]?.release();
    await Promise.all(rest);
  });

  it('rejects only the callers of the batch that failed, and keeps going', async () => {
    let calls = 0;
    const commit = new GroupCommit<string>((items) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error(`store down for ${items.length}`)) : Promise.resolve();
    });
    const failed = commit.add('a');
    const next = commit.add('b');
    await expect(failed).rejects.toThrow('store down for 1');
    await expect(next).resolves.toBeUndefined();
  });

  it('gives each caller its own item’s result', async () => {
    const commit = new GroupCommitWithResults<number, string>((items) => Promise.resolve(items.map((n) => `#${n}`)));
    await expect(Promise.all([1, 2, 3].map((n) => commit.add(n)))).resolves.toEqual(['#1', '#2', '#3']);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const commit = new GroupCommit<number>((items) => {
      sizes.push(items.length);
      return Promise.resolve();
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => commit.add(n)));
    expect(sizes).toEqual([1, 2, 2]);
  });
});

describe('GroupCommit.idle', () => {
  it('settles only after every write added so far was attempted', async () => {
    const written: number[] = [];
    const commit = new GroupCommit<number>(async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      written.push(...items);
    });
    for (const n of [1, 2, 3]) void commit.add(n);
    await commit.idle();
    expect(written.sort()).toEqual([1, 2, 3]);
  });
});

describe('onlyDuplicateKeys', () => {
  it('accepts a bulk error made only of E11000 and refuses any other', () => {
    const bulk = (codes: number[]) => Object.assign(new Error('bulk write error'), { writeErrors: codes.map((code) => ({ code, errmsg: code === 11000 ? 'E11000 duplicate key' : 'other' })) });
    expect(onlyDuplicateKeys(bulk([11000, 11000]))).toBe(true);
    expect(onlyDuplicateKeys(bulk([11000, 121]))).toBe(false);
    expect(onlyDuplicateKeys(new Error('connection reset'))).toBe(false);
  });

  it("reads mongoose insertMany's write errors, whose code sits under err", () => {
    const bulk = (codes: number[]) => Object.assign(new Error('E11000 duplicate key error collection: db.days'), { writeErrors: codes.map((code, index) => ({ index, err: { index, code, errmsg: code === 11000 ? 'E11000 duplicate key error' : 'Document failed validation' } })) });
    expect(onlyDuplicateKeys(bulk([11000, 11000]))).toBe(true);
    expect(onlyDuplicateKeys(bulk([11000, 121]))).toBe(false);
  });
});

describe('duplicateKeyIndexes', () => {
  it('names the refused positions of an unordered insert, in the driver’s and in mongoose’s shape, and nothing for other errors', () => {
    const driver = Object.assign(new Error('bulk write error'), { writeErrors: [1, 3].map((index) => ({ index, code: 11000, errmsg: 'E11000 duplicate key' })) });
    const mongoose = Object.assign(new Error('E11000 duplicate key error'), { writeErrors: [0].map((index) => ({ err: { index, code: 11000, errmsg: 'E11000 duplicate key error' } })) });
    const mixed = Object.assign(new Error('bulk write error'), { writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000' }, { index: 1, code: 121, errmsg: 'failed validation' }] });
    expect([...(duplicateKeyIndexes(driver) ?? [])]).toEqual([1, 3]);
    expect([...(duplicateKeyIndexes(mongoose) ?? [])]).toEqual([0]);
    expect(duplicateKeyIndexes(mixed)).toBeUndefined();
    expect(duplicateKeyIndexes(new Error('connection reset'))).toBeUndefined();
  });
});

describe('GroupCommittedInserts', () => {
  const store = (existing: Set<string>, failWith?: Error) => ({
    insertMany: (docs: { _id: string }[]) => {
      if (failWith) return Promise.reject(failWith);
      const refused = docs.flatMap((d, index) => (existing.has(d._id) ? [{ index, code: 11000, errmsg: 'E11000 duplicate key' }] : []));
      docs.forEach((d) => existing.add(d._id));
      return refused.length > 0 ? Promise.reject(Object.assign(new Error('bulk write error'), { writeErrors: refused })) : Promise.resolve(docs);
    },
  });

  it('answers true for each document inserted and false for each refused as existing, in one batch', async () => {
    const inserts = new GroupCommittedInserts<{ _id: string }>(store(new Set(['b'])));
    expect(await Promise.all(['a', 'b', 'c', 'a'].map((_id) => inserts.add({ _id })))).toEqual([true, false, true, false]);
  });

  it('fails every caller of the batch on any other error', async () => {
    const inserts = new GroupCommittedInserts<{ _id: string }>(store(new Set(), new Error('connection reset')));
    await expect(Promise.all([inserts.add({ _id: 'a' }), inserts.add({ _id: 'b' })])).rejects.toThrow('connection reset');
  });
});
