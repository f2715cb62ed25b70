// URL parameters (config.js): `?playlist=`, `?signal=` and `?tracker=` are taken only when they
// stay on the page's own host, so a forged link cannot play someone else's stream under the
// box's address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../src/config.js';

const at = (href) => readConfig({ href });

test('parameters on the page’s own host are used', () => {
  const c = at('http://10.0.0.2/?playlist=/hls/other.m3u8&signal=ws://10.0.0.2/signal&tracker=ws://10.0.0.2:8002');
  assert.equal(c.playlist, 'http://10.0.0.2/hls/other.m3u8');
  assert.equal(c.signalUrl, 'ws://10.0.0.2/signal');
  assert.equal(c.tracker, 'ws://10.0.0.2:8002/');
  assert.equal(c.trackerForced, true);
});

test('parameters pointing elsewhere are ignored', () => {
  const evil = encodeURIComponent;
  const c = at(`http://10.0.0.2/?playlist=${evil('https://evil.example/live.m3u8')}`
    + `&signal=${evil('wss://evil.example/signal')}&tracker=${evil('ws://10.0.0.66/announce')}`);
  assert.equal(c.playlist, 'http://10.0.0.2/hls/live.m3u8');
  assert.equal(c.signalUrl, 'ws://10.0.0.2/signal');
  assert.equal(c.tracker, 'ws://10.0.0.2/announce');
  assert.equal(c.trackerForced, false);
  const odd = at(`http://10.0.0.2/?playlist=${evil('javascript:alert(1)')}&signal=${evil('http://10.0.0.2/signal')}`);
  assert.equal(odd.playlist, 'http://10.0.0.2/hls/live.m3u8');
  assert.equal(odd.signalUrl, 'ws://10.0.0.2/signal');
});
