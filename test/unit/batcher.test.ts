import { createBatcher } from '../../src/kafka/batcher';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createBatcher', () => {
  it('sends items added in the same turn together, and later ones in the next batch', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const batcher = createBatcher<number>({
      maxItems: 100,
      lingerMs: 0,
      send: (items) => {
        batches.push(items);
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
    });
    const first = [1, 2, 3].map((n) => batcher.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => batcher.add(n));
    expect(batcher.pending()).toBe(5);
    gates[0]!.resolve();
    await Promise.all(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    gates[1]!.resolve();
    await Promise.all(second);
    expect(batcher.pending()).toBe(0);
  });

  it('splits at maxItems and keeps order', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number>({
      maxItems: 2,
      lingerMs: 0,
      send: (items) => {
        batches.push(items);
        return Promise.resolve();
      },
    });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add(n)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects every caller of a failed batch with its error, and goes on', async () => {
    let calls = 0;
    const batcher = createBatcher<string>({
      maxItems: 10,
      lingerMs: 0,
      send: () => (++calls === 1 ? Promise.reject(new Error('broker down')) : Promise.resolve()),
    });
    const results = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(batcher.add('c')).resolves.toBeUndefined();
  });

  it('does not send an item whose caller gave up before its batch formed', async () => {
    const sent: string[] = [];
    const gate = deferred();
    const batcher = createBatcher<string>({
      maxItems: 10,
      lingerMs: 0,
      send: async (items) => {
        sent.push(...items);
        if (items.includes('first')) await gate.promise;
      },
    });
    const first = batcher.add('first');
    await new Promise((resolve) => setImmediate(resolve));
    const signal = { expired: false };
    void batcher.add('abandoned', signal);
    const kept = batcher.add('kept');
    signal.expired = true;
    gate.resolve();
    await Promise.all([first, kept]);
    expect(sent).toEqual(['first', 'kept']);
  });

  it('waits lingerMs before the first batch so more items join', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number>({
      maxItems: 10,
      lingerMs: 20,
      send: (items) => {
        batches.push(items);
        return Promise.resolve();
      },
    });
    const a = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = batcher.add(2);
    await Promise.all([a, b]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('flush resolves once everything queued was sent', async () => {
    const sent: number[] = [];
    const batcher = createBatcher<number>({
      maxItems: 1,
      lingerMs: 0,
      send: async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        sent.push(...items);
      },
    });
    void batcher.add(1);
    void batcher.add(2);
    await batcher.flush();
    expect(sent).toEqual([1, 2]);
    await expect(batcher.flush()).resolves.toBeUndefined();
  });
});
