import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../src/restartPolicy';

describe('RestartPolicy', () => {
  it('does not restart a server that never started', () => {
    const p = new RestartPolicy();
    assert.equal(p.hasRun, false);
    assert.equal(p.shouldRestart(0), false);
  });

  it('restarts a running server up to max times within the window, then again after it', () => {
    const p = new RestartPolicy(2, 1000);
    p.running();
    assert.equal(p.hasRun, true);
    assert.deepEqual([p.shouldRestart(0), p.shouldRestart(10), p.shouldRestart(20)], [true, true, false]);
    assert.equal(p.recentRestarts, 2);
    assert.equal(p.shouldRestart(1005), true, 'the restart at t=0 has left the window');
    assert.equal(p.shouldRestart(1006), false);
  });
});
