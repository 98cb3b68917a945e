import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AdaptiveLimiter, createAdaptiveLimiter, createLimiter, createThrottleSignal, INITIAL_IN_FLIGHT, type Limiter, THROTTLE_SETTLE_MS } from '../../lib/monitor/limiter.js';

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

/** A logger that keeps what it is told, by level. */
function recordingLogger() {
  const lines: { level: 'debug' | 'info'; fields: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    debug: (fields: Record<string, unknown>, message: string) => void lines.push({ level: 'debug', fields, message }),
    info: (fields: Record<string, unknown>, message: string) => void lines.push({ level: 'info', fields, message }),
  };
}

/** Tasks that take `ms` of fake time, counting how many ran at once. */
function timedTasks(limit: AdaptiveLimiter, count: number, ms: number) {
  let running = 0;
  let most = 0;
  const results = Array.from({ length: count }, (_, i) =>
    limit(async () => {
      running += 1;
      most = Math.max(most, running);
      expect(running).toBeLessThanOrEqual(limit.limit);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      return i;
    }));
  return { results: Promise.all(results), most: () => most };
}

describe('createAdaptiveLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts at four and doubles each round while calls succeed and tasks wait, up to the ceiling', async () => {
    vi.useFakeTimers();
    const limit = createAdaptiveLimiter({ max: 16 });
    expect(limit.limit).toBe(INITIAL_IN_FLIGHT);
    const { results, most } = timedTasks(limit, 100, 50);
    await vi.advanceTimersByTimeAsync(50);
    expect(limit.limit).toBe(8);
    await vi.advanceTimersByTimeAsync(50);
    expect(limit.limit).toBe(16);
    await vi.runAllTimersAsync();
    expect(await results).toHaveLength(100);
    expect(limit.limit).toBe(16);
    expect(most()).toBe(16);
    expect(limit.peak).toBe(16);
  });

  it('reads 100 pages at 50 ms each in under a quarter of the sequential time', async () => {
    vi.useFakeTimers();
    const limit = createAdaptiveLimiter({ max: 16 });
    const started = Date.now();
    const { results } = timedTasks(limit, 100, 50);
    await vi.runAllTimersAsync();
    await results;
    // 4 + 8 + 16 × 6 rounds, then the last 4: 9 rounds of 50 ms, against 100 × 50 ms one by one.
    expect(Date.now() - started).toBeLessThanOrEqual(450);
  });

  it('never goes above the ceiling, and starts at the ceiling when that is lower than four', async () => {
    vi.useFakeTimers();
    const low = createAdaptiveLimiter({ max: 2 });
    expect(low.limit).toBe(2);
    const { results, most } = timedTasks(low, 20, 10);
    await vi.runAllTimersAsync();
    await results;
    expect(low.limit).toBe(2);
    expect(most()).toBe(2);
    const one = createAdaptiveLimiter({ max: 1, initial: 4 });
    expect(one.limit).toBe(1);
  });

  it('does not grow while the limit holds nothing back', async () => {
    const limit = createAdaptiveLimiter({ max: 16 });
    for (let i = 0; i < 20; i++) await limit(async () => i);
    expect(limit.limit).toBe(4);
  });

  it('does not grow on failed calls', async () => {
    const limit = createAdaptiveLimiter({ max: 16 });
    const calls = Array.from({ length: 12 }, () => limit(() => Promise.reject(new Error('HTTP 500'))));
    await Promise.allSettled(calls);
    expect(limit.limit).toBe(4);
    expect(limit.active).toBe(0);
  });

  it('halves on a throttle, once per burst, and never below one', () => {
    let clock = 0;
    const limit = createAdaptiveLimiter({ max: 16, initial: 16, now: () => clock });
    limit.throttled();
    expect(limit.limit).toBe(8);
    // The rest of the burst: every other request that was in flight, answered at once.
    for (let i = 0; i < 15; i++) limit.throttled();
    expect(limit.limit).toBe(8);
    clock += THROTTLE_SETTLE_MS;
    limit.throttled();
    expect(limit.limit).toBe(4);
    for (let i = 0; i < 5; i++) {
      clock += THROTTLE_SETTLE_MS;
      limit.throttled();
    }
    expect(limit.limit).toBe(1);
  });

  it('starts nothing new after a halving until fewer than the new limit are in flight', async () => {
    const limit = createAdaptiveLimiter({ max: 16, initial: 16, now: () => 0 });
    const started: number[] = [];
    const gates = Array.from({ length: 30 }, (_, i) => gate(started, i));
    const results = gates.map(({ task }) => limit(task));
    await settle();
    expect(started).toHaveLength(16);
    limit.throttled();
    expect(limit.limit).toBe(8);
    // Eight of the sixteen end: still eight in flight, the new limit, so none starts.
    for (let i = 0; i < 8; i++) gates[i]!.open();
    await settle();
    expect(started).toHaveLength(16);
    expect(limit.active).toBe(8);
    gates[8]!.open();
    await settle();
    expect(started).toHaveLength(17);
    expect(limit.active).toBe(8);
    // Successes of tasks started before the halving say nothing about the new limit.
    expect(limit.limit).toBe(8);
    for (const { open } of gates) open();
    await Promise.all(results);
  });

  it('after a throttle grows by one per round of successes, not by doubling', async () => {
    vi.useFakeTimers();
    const limit = createAdaptiveLimiter({ max: 16, initial: 8, now: () => Date.now() });
    limit.throttled();
    expect(limit.limit).toBe(4);
    const { results } = timedTasks(limit, 40, 50);
    await vi.advanceTimersByTimeAsync(50);
    expect(limit.limit).toBe(5);
    await vi.advanceTimersByTimeAsync(50);
    expect(limit.limit).toBe(6);
    await vi.runAllTimersAsync();
    await results;
  });

  it('hears throttles through the signal the adapters report to', () => {
    const signal = createThrottleSignal();
    const limit = createAdaptiveLimiter({ max: 16, initial: 16, throttles: signal });
    signal.report('vpcep:connections:list');
    expect(limit.limit).toBe(8);
  });

  it('logs the first halving of a burst at info and every change at debug', async () => {
    vi.useFakeTimers();
    const logger = recordingLogger();
    const limit = createAdaptiveLimiter({ max: 16, logger, now: () => Date.now() });
    const { results } = timedTasks(limit, 40, 50);
    await vi.advanceTimersByTimeAsync(100);
    expect(logger.lines.filter((line) => line.level === 'debug').map((line) => line.fields.inFlightLimit)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    limit.throttled('vpcep:connections:list');
    await vi.advanceTimersByTimeAsync(THROTTLE_SETTLE_MS);
    limit.throttled('vpcep:connections:list');
    const halvings = logger.lines.filter((line) => line.fields.previousLimit !== undefined);
    expect(halvings.map((line) => [line.level, line.fields.previousLimit, line.fields.inFlightLimit])).toEqual([['info', 16, 8], ['debug', 8, 4]]);
    expect(halvings[0]!.message).toBe('vpcep:connections:list was throttled: in-flight limit halved from 16 to 8; further changes in this burst are logged at debug');
    await vi.runAllTimersAsync();
    await results;
  });

  it('does not hammer a region that throttles: half the refusals of a fixed sixteen', async () => {
    vi.useFakeTimers();
    // A service that answers 100 calls a second, in 50 ms each, and refuses the rest at once; a
    // refused call is asked again 2 s later, holding its slot, as the retry layer does.
    const simulate = async (limit: Limiter, report: () => void) => {
      const accepted: number[] = [];
      let refused = 0;
      const call = async (): Promise<void> => {
        for (;;) {
          const now = Date.now();
          while (accepted.length > 0 && accepted[0]! <= now - 1_000) accepted.shift();
          if (accepted.length < 100) break;
          refused += 1;
          report();
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
        accepted.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 50));
      };
      const all = Promise.all(Array.from({ length: 1_000 }, () => limit(call)));
      await vi.runAllTimersAsync();
      await all;
      return refused;
    };
    const adaptive = createAdaptiveLimiter({ max: 16, now: () => Date.now() });
    const adaptiveRefused = await simulate(adaptive, () => adaptive.throttled());
    const fixedRefused = await simulate(createLimiter(16), () => undefined);
    // Sixteen in flight all along: 144 refused. Adaptive: 64, one in sixteen calls.
    expect(fixedRefused).toBeGreaterThan(2 * adaptiveRefused);
    expect(adaptiveRefused).toBeLessThanOrEqual(70);
  });

  it('refuses a ceiling that is not a positive whole number, naming it', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => createAdaptiveLimiter({ max: bad }), String(bad)).toThrow(RangeError);
    expect(() => createAdaptiveLimiter({ max: 0 })).toThrow('the in-flight ceiling must be a positive integer, got 0');
  });
});
