import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toZeroBased } from '../src/lines';

describe('toZeroBased', () => {
  it('converts 1-based inclusive lines to 0-based', () => {
    assert.deepEqual(toZeroBased(1, 1), { start: 0, end: 0 });
    assert.deepEqual(toZeroBased(12, 20), { start: 11, end: 19 });
  });

  it('clamps to the document when the index is stale', () => {
    assert.deepEqual(toZeroBased(40, 55, 30), { start: 29, end: 29 });
    assert.deepEqual(toZeroBased(10, 55, 30), { start: 9, end: 29 });
  });

  it('repairs nonsense input rather than throwing', () => {
    assert.deepEqual(toZeroBased(0, 0), { start: 0, end: 0 });
    assert.deepEqual(toZeroBased(5, 2), { start: 4, end: 4 });
    assert.deepEqual(toZeroBased(Number.NaN, Number.NaN), { start: 0, end: 0 });
    assert.deepEqual(toZeroBased(3.7, 4.2), { start: 2, end: 3 });
  });
});

