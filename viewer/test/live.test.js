// Live-edge catch-up (live.js): play up to 10 % faster while behind the target latency, with
// hysteresis, never on a thin buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catchUpRate, CATCH_UP_RATE } from '../src/live.js';

test('catch-up starts 0.5 s beyond the target, grows with the distance, stops within 0.1 s', () => {
  const at = (latency, rate = 1, bufferS = 4) => catchUpRate({ latency, target: 6, bufferS, rate });
  assert.equal(at(6.4), 1, 'inside the dead band');
  assert.equal(at(6.6), 1.06);
  assert.equal(at(7), CATCH_UP_RATE);
  assert.equal(at(9), CATCH_UP_RATE, 'capped');
  assert.equal(at(6.3, 1.06), 1.03, 'once started, it runs down to the target');
  assert.equal(at(6.05, 1.05), 1);
  assert.equal(at(5, 1.1), 1, 'ahead of the target');
  assert.equal(at(8, 1, 1), 1, 'not on a thin buffer');
  assert.equal(catchUpRate({ latency: null, target: 6, bufferS: 4, rate: 1.1 }), 1);
});
