import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DebouncedSearch, type Timers } from '../src/debouncedSearch';

/** Manual clock: timers fire only when the test calls `tick`. */
class FakeTimers implements Timers {
  private now = 0;
  private next = 1;
  private pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  tick(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
  get size(): number {
    return this.pending.size;
  }
}

interface Call {
  query: string;
  cancelled: boolean;
  resolve: (v: string) => void;
  reject: (e: unknown) => void;
}

function harness() {
  const timers = new FakeTimers();
  const calls: Call[] = [];
  const events: string[] = [];
  const search = new DebouncedSearch<string>(
    (query) => {
      let resolve!: (v: string) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const call: Call = { query, cancelled: false, resolve, reject };
      calls.push(call);
      return { promise, cancel: () => (call.cancelled = true) };
    },
    {
      busy: (b) => events.push(`busy:${b}`),
      result: (q, r) => events.push(`result:${q}=${r}`),
      error: (q, e) => events.push(`error:${q}=${(e as Error).message}`),
      clear: () => events.push('clear'),
    },
    200,
    timers,
  );
  return { timers, calls, events, search };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('DebouncedSearch', () => {
  it('sends one request for a burst of keystrokes, after the delay', async () => {
    const { timers, calls, events, search } = harness();
    search.update('c');
    timers.tick(100);
    search.update('ca');
    timers.tick(100);
    search.update('cat');
    timers.tick(199);
    assert.equal(calls.length, 0);
    timers.tick(1);
    assert.deepEqual(calls.map((c) => c.query), ['cat']);
    calls[0].resolve('3 hits');
    await flush();
    assert.deepEqual(events, ['busy:true', 'result:cat=3 hits', 'busy:false']);
  });

  it('cancels the request in flight and drops its late answer', async () => {
    const { timers, calls, events, search } = harness();
    search.update('ca');
    timers.tick(200);
    search.update('cat');
    assert.equal(calls[0].cancelled, true);
    calls[0].resolve('stale');
    await flush();
    timers.tick(200);
    calls[1].resolve('fresh');
    await flush();
    assert.ok(!events.some((e) => e.includes('stale')), events.join(','));
    assert.equal(events.filter((e) => e.startsWith('result:')).join(), 'result:cat=fresh');
    assert.equal(events.at(-1), 'busy:false');
  });

  it('clears at once on an empty query and sends nothing', async () => {
    const { timers, calls, events, search } = harness();
    search.update('x');
    search.update('   ');
    timers.tick(1000);
    assert.equal(calls.length, 0);
    assert.deepEqual(events, ['busy:false', 'clear']);
  });

  it('reports errors for the current query only', async () => {
    const { timers, calls, events, search } = harness();
    search.update('a');
    timers.tick(200);
    calls[0].reject(new Error('server not running'));
    await flush();
    assert.deepEqual(events, ['busy:true', 'error:a=server not running', 'busy:false']);

    search.update('b');
    timers.tick(200);
    search.update('bc');
    calls[1].reject(new Error('cancelled'));
    await flush();
    assert.ok(!events.includes('error:b=cancelled'));
  });

  it('refresh re-runs the current query immediately', async () => {
    const { timers, calls, search } = harness();
    search.update('rrf');
    timers.tick(200);
    search.refresh();
    assert.deepEqual(calls.map((c) => [c.query, c.cancelled]), [
      ['rrf', true],
      ['rrf', false],
    ]);
  });

  it('does nothing after dispose', async () => {
    const { timers, calls, events, search } = harness();
    search.update('q');
    search.dispose();
    timers.tick(500);
    search.update('r');
    timers.tick(500);
    assert.equal(calls.length, 0);
    assert.equal(timers.size, 0);
    assert.deepEqual(events, []);
  });
});
