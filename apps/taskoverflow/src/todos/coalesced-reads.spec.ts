import { CoalescedReads } from './coalesced-reads';

/** A read whose answer is the counter's value when the read starts, settled by hand. */
function controlledSource() {
  let value = 0;
  const pending: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  return {
    write: () => ++value,
    started: () => pending.length,
    run: () =>
      new Promise<number>((resolve, reject) => {
        const seen = value;
        pending.push({ resolve: () => resolve(seen), reject });
      }),
    finish: (index: number) => pending[index].resolve(0),
    fail: (index: number) => pending[index].reject(new Error('read failed')),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescedReads', () => {
  it('runs one read for callers that arrive together, and the next one for those that arrive during it', async () => {
    const reads = new CoalescedReads<number>();
    const source = controlledSource();
    const first = reads.read('k', source.run);
    source.write(); // acknowledged after the first read was sent
    const second = reads.read('k', source.run);
    const third = reads.read('k', source.run);
    expect(source.started()).toBe(1);

    source.finish(0);
    expect(await first).toBe(0);
    await flush();
    expect(source.started()).toBe(2);
    source.finish(1);
    // Both saw the write acknowledged before they arrived.
    expect(await second).toBe(1);
    expect(await third).toBe(1);
  });

  it('never answers a caller from a read sent before it arrived', async () => {
    const reads = new CoalescedReads<number>();
    const source = controlledSource();
    const answers: Promise<number>[] = [];
    const expected: number[] = [];
    for (let round = 0; round < 5; round++) {
      const value = source.write();
      answers.push(reads.read('k', source.run));
      expected.push(value);
      await flush();
      for (let i = 0; i < source.started(); i++) source.finish(i);
      await flush();
    }
    const got = await Promise.all(answers);
    got.forEach((value, i) => expect(value).toBeGreaterThanOrEqual(expected[i]));
  });

  it('keeps keys apart', async () => {
    const reads = new CoalescedReads<number>();
    const source = controlledSource();
    const a = reads.read('a', source.run);
    const b = reads.read('b', source.run);
    expect(source.started()).toBe(2);
    source.finish(0);
    source.finish(1);
    await expect(Promise.all([a, b])).resolves.toEqual([0, 0]);
  });

  it('passes a failure to the callers of that read only, and the waiting callers still get their own read', async () => {
    const reads = new CoalescedReads<number>();
    const source = controlledSource();
    const failing = reads.read('k', source.run);
    const waiting = reads.read('k', source.run);
    source.fail(0);
    await expect(failing).rejects.toThrow('read failed');
    await flush();
    expect(source.started()).toBe(2);
    source.finish(1);
    await expect(waiting).resolves.toBe(0);
    // And a later caller starts afresh.
    const later = reads.read('k', source.run);
    await flush();
    expect(source.started()).toBe(3);
    source.finish(2);
    await expect(later).resolves.toBe(0);
  });
});
