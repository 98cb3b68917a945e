import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../lib/monitor/limiter.js';

/** A task the test finishes by hand, recording when it started. */
function gate(started: number[], index: number) {
  let open!: (value: number) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  const task = () => {
    started.push(index);
    return done;
  };
  return { task, open: () => open(index), fail: (error: Error) => fail(error) };
}

/** Lets every promise callback that can run, run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The task's result, or a failure saying the slot never came (rather than the test timing out). */
const soon = <T>(promise: Promise<T>): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still waiting for a slot')), 500))]);

describe('createLimiter', () => {
  it('runs at most `concurrency` tasks at once, starting the others as slots free', async () => {
    const limit = createLimiter(2);
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, (_, i) => gate(started, i));
    const results = gates.map(({ task }) => limit(task));
    await settle();
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]!.open();
    gates[4]!.open();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts waiting tasks in the order they were queued, whatever order the running ones end in', async () => {
    const limit = createLimiter(2);
    const started: number[] = [];
    const gates = Array.from({ length: 6 }, (_, i) => gate(started, i));
    const results = gates.map(({ task }) => limit(task));
    const finished = new Set<number>();
    while (finished.size < gates.length) {
      await settle();
      // End the running task that started last, so tasks finish out of their starting order.
      const latest = started.filter((index) => !finished.has(index)).at(-1)!;
      finished.add(latest);
      gates[latest]!.open();
    }
    await Promise.all(results);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('gives a failed task’s error to its caller and frees its slot for the next', async () => {
    const limit = createLimiter(1);
    const started: number[] = [];
    const first = gate(started, 0);
    const second = gate(started, 1);
    const failed = limit(first.task);
    const next = limit(second.task);
    await settle();
    expect(started).toEqual([0]);
    first.fail(new Error('list failed'));
    await expect(failed).rejects.toThrow('list failed');
    await settle();
    expect(started).toEqual([0, 1]);
    second.open();
    expect(await soon(next)).toBe(1);
  });

  it('frees the slot when a task throws before returning a promise', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => { throw new Error('sync'); })).rejects.toThrow('sync');
    expect(await soon(limit(async () => 'after'))).toBe('after');
  });

  it('refuses a concurrency that is not a positive whole number', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => createLimiter(bad), String(bad)).toThrow(RangeError);
  });

  it('says which concurrency it refused', () => {
    expect(() => createLimiter(0)).toThrow('concurrency must be a positive integer, got 0');
  });
});
