// Unit tests of the viewer's pure parts: SHA-1, bencode, torrent metadata, signaling messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import createTorrent from 'create-torrent';
import { sha1, toHex } from '../src/sha1.js';
import { decode, BencodeError } from '../src/bencode.js';
import { parseTorrent, TorrentError } from '../src/torrent-meta.js';
import { parseMessage, SignalMessageError, statsMessage } from '../src/signal-msg.js';

const enc = (s) => new TextEncoder().encode(s);

/** A torrent made by the real create-torrent (what webtorrent uses). */
export function makeTorrent(name, data, pieceLength = 16384) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(data);
    buf.name = name;
    createTorrent(buf, { name, pieceLength, announceList: [['ws://box/announce']] }, (err, t) =>
      err ? reject(err) : resolve(new Uint8Array(t)),
    );
  });
}

test('sha1 matches node:crypto at every padding boundary', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 5000, 70000]) {
    const d = randomBytes(n);
    assert.equal(toHex(sha1(new Uint8Array(d))), createHash('sha1').update(d).digest('hex'), `length ${n}`);
  }
});

test('bencode decodes and rejects garbage with BencodeError', () => {
  const v = decode(enc('d1:ai-3e1:bl4:spami0eee'));
  assert.equal(v.get('a'), -3);
  assert.equal(new TextDecoder().decode(v.get('b')[0]), 'spam');
  const bad = ['', 'i', 'i-0e', 'i03e', 'd1:a', 'l', '5:abc', 'x', 'i1ei2e', 'd1:ai1e', '9999999999999999:a'];
  for (const b of bad) assert.throws(() => decode(enc(b)), BencodeError, JSON.stringify(b));
  assert.throws(() => decode(enc('l'.repeat(40) + 'e'.repeat(40))), BencodeError);
});

test('bencode never throws anything but BencodeError on random bytes', () => {
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(randomBytes(1 + (i % 40)));
    if (i % 3 === 0) b[0] = 0x64;
    try {
      decode(b);
    } catch (e) {
      assert.ok(e instanceof BencodeError, e.message);
    }
  }
});

test('parseTorrent reads a create-torrent torrent and checks the info hash', async () => {
  const data = randomBytes(100000);
  const bytes = await makeTorrent('seg-00000007.ts', data);
  const meta = parseTorrent(bytes);
  assert.equal(meta.name, 'seg-00000007.ts');
  assert.equal(meta.length, 100000);
  assert.equal(meta.pieceLength, 16384);
  assert.equal(meta.hashes.length, 7);
  assert.equal(toHex(meta.hashes[6]), createHash('sha1').update(data.subarray(6 * 16384)).digest('hex'));
  assert.deepEqual(parseTorrent(bytes, meta.infoHash).infoHash, meta.infoHash);
  assert.throws(() => parseTorrent(bytes, '0'.repeat(40)), TorrentError);
});

test('parseTorrent rejects torrents that do not describe a segment', () => {
  const cases = [
    'de',
    'd4:infodee',
    'd4:infod6:lengthi10e4:name1:a12:piece lengthi16384e6:pieces3:abcee',
    'd4:infod6:lengthi-1e4:name1:a12:piece lengthi16384e6:pieces0:ee',
    'd4:infod6:lengthi10e4:name1:a12:piece lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee',
  ];
  for (const c of cases) assert.throws(() => parseTorrent(enc(c)), TorrentError, c);
});

import { readFileSync, readdirSync } from 'node:fs';

// The box's own signaling vectors (appliance/proto tests read the same files).
const VECTORS = new URL('../../appliance/proto/testdata/signal/', import.meta.url);
const vector = (name) => readFileSync(new URL(name, VECTORS), 'utf8');

test('parseMessage reads every documented box message (docs/SIGNALING.md examples)', () => {
  const hello = parseMessage(vector('hello.json'));
  assert.equal(hello.tracker, 'ws://venuebox.local:8080/announce');
  assert.equal(hello.statsIntervalS, 5);
  assert.equal(hello.segments[0].torrent, null);
  assert.deepEqual(hello.swarm, { infoHash: '6f2b1d1e3c4a5b6978877665544332211009f8e7', neighbours: 6 });
  const seg = parseMessage(vector('segment.json')).segment;
  assert.equal(seg.r2Url, 'https://media.example.org/venue/seg-3527381042.ts');
  assert.equal(seg.infoHash, '0123456789abcdef0123456789abcdef01234567');
  assert.equal(seg.torrent[0], 0x64);
  assert.equal(parseMessage(vector('segment-fmp4.json')).segment.init.name, 'init-1.mp4');
  assert.equal(parseMessage(vector('discontinuity.json')).seq, 3527381043);
  assert.equal(parseMessage(vector('removed.json')).name, 'seg-3527381012.ts');
  assert.equal(parseMessage(vector('end.json')).type, 'end');
  assert.equal(parseMessage(vector('error.json')).code, 'rate_limited');
  const stats = readdirSync(VECTORS).filter((f) => f !== 'stats.json');
  assert.equal(stats.length, 7);
});

test('parseMessage rejects malformed messages with SignalMessageError', () => {
  const seg = JSON.parse(vector('segment.json'));
  const mutate = (patch) => JSON.stringify({ ...seg, ...patch });
  const bad = [
    'nope',
    '[]',
    '{"type":"end"}',
    '{"v":2,"type":"end"}',
    '{"v":1,"type":"surprise"}',
    '{"v":1,"type":"end","extra":1}',
    mutate({ name: '../etc/passwd' }),
    mutate({ name: '.hidden' }),
    mutate({ info_hash: 'XYZ' }),
    mutate({ info_hash: null }),
    mutate({ duration: -1 }),
    mutate({ duration: 4000 }),
    mutate({ seq: 1.5 }),
    mutate({ url: '//evil.example/x' }),
    mutate({ url: 'javascript:alert(1)' }),
    mutate({ r2_url: '/relative' }),
    mutate({ torrent: '!!!' }),
    mutate({ torrent: 'aGVsbG8=' }),
    mutate({ discontinuity: 'yes' }),
    mutate({ surprise: true }),
    JSON.stringify({ ...JSON.parse(vector('hello.json')), tracker_url: 'http://x/announce' }),
    JSON.stringify({ ...JSON.parse(vector('hello.json')), segments: 'x' }),
    JSON.stringify({ ...JSON.parse(vector('hello.json')), swarm: { info_hash: 'AB', neighbours: 6 } }),
    JSON.stringify({ ...JSON.parse(vector('hello.json')), swarm: { info_hash: '6f2b1d1e3c4a5b6978877665544332211009f8e7', neighbours: 0 } }),
  ];
  for (const b of bad) assert.throws(() => parseMessage(b), SignalMessageError, b);
});

test('parseMessage never throws anything but SignalMessageError on mangled vectors', () => {
  const text = vector('segment.json');
  for (let i = 0; i < 2000; i++) {
    const at = (i * 7919) % text.length;
    const mangled = text.slice(0, at) + String.fromCharCode(32 + (i % 90)) + text.slice(at + 1 + (i % 3));
    try {
      parseMessage(mangled);
    } catch (e) {
      assert.ok(e instanceof SignalMessageError, `${e.name}: ${e.message}`);
    }
  }
});

test('statsMessage has exactly the documented fields', () => {
  const mesh = { linksOpen: 4, boxLinks: 1, tries: { viewersTried: 5, viewersOpened: 4, boxTried: 1, boxOpened: 1 } };
  const m = JSON.parse(statsMessage({ p2pBytes: 5, seederBytes: 3, boxBytes: 1, boxEgressBytes: 4, r2Bytes: 2, uploadBytes: 1, p2pShare: 0.5, peers: 2, bufferS: 4, latencyS: null, stalls: 1, stallS: 0.5, mode: 'mesh', mesh }));
  const documented = JSON.parse(vector('stats.json'));
  assert.deepEqual(Object.keys(m).sort(), Object.keys(documented).sort());
  assert.deepEqual(Object.keys(m.links).sort(), Object.keys(documented.links).sort());
  assert.equal(m.bytes_p2p, 5, 'other viewers only');
  assert.equal(m.bytes_seeder, 3, "the box's WebRTC seeder");
  assert.equal(m.bytes_http, 1, 'the box over HTTP');
  assert.deepEqual([m.path, m.links.viewers_open, m.links.viewers_tried, m.links.box_opened], ['p2p', 3, 5, 1]);
  assert.equal(m.latency_secs, null);
  assert.equal(JSON.parse(statsMessage({ ...JSON.parse('{}'), p2pBytes: 0, r2Bytes: 0, peers: 0, bufferS: 0, latencyS: 1, stalls: 0, mode: 'native HLS' })).path, 'native');
});

