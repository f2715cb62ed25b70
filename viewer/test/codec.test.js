// Unit tests of the viewer's pure parts: SHA-1, bencode, torrent metadata, signaling messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import createTorrent from 'create-torrent';
import { sha1, toHex } from '../src/sha1.js';
import { decode, BencodeError } from '../src/bencode.js';
import { parseTorrent, TorrentError, bareTorrent } from '../src/torrent-meta.js';
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

function segmentJson(torrent, extra = {}) {
  return {
    seq: 7,
    name: 'seg-00000007.ts',
    duration: 2,
    url: '/hls/seg-00000007.ts',
    info_hash: 'ab'.repeat(20),
    torrent: Buffer.from(torrent).toString('base64'),
    ...extra,
  };
}

test('parseMessage accepts hello and segment messages', () => {
  const seg = segmentJson(enc('d4:infodee'));
  const hello = parseMessage(JSON.stringify({ v: 1, type: 'hello', tracker: 'ws://10.0.0.1/announce', segments: [seg] }));
  assert.equal(hello.tracker, 'ws://10.0.0.1/announce');
  assert.equal(hello.segments[0].name, 'seg-00000007.ts');
  const m = parseMessage(JSON.stringify({ v: 1, type: 'segment', ...seg, r2_url: 'https://r2.example/hls/seg-00000007.ts' }));
  assert.equal(m.segment.r2Url, 'https://r2.example/hls/seg-00000007.ts');
  assert.deepEqual(Array.from(m.segment.torrent.subarray(0, 2)), [0x64, 0x34]);
  assert.equal(parseMessage('{"v":1,"type":"end"}').type, 'end');
});

test('parseMessage rejects malformed messages with SignalMessageError', () => {
  const seg = segmentJson(enc('d4:infodee'));
  const bad = [
    'nope',
    '[]',
    '{"type":"hello"}',
    '{"v":2,"type":"hello"}',
    JSON.stringify({ v: 1, type: 'segment', ...seg, name: '../etc/passwd' }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, info_hash: 'XYZ' }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, duration: -1 }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, seq: 1.5 }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, url: '//evil.example/x' }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, url: 'javascript:alert(1)' }),
    JSON.stringify({ v: 1, type: 'segment', ...seg, torrent: '!!!' }),
    JSON.stringify({ v: 1, type: 'hello', tracker: 'http://x/announce' }),
    JSON.stringify({ v: 1, type: 'hello', segments: 'x' }),
  ];
  for (const b of bad) assert.throws(() => parseMessage(b), SignalMessageError, b);
});

test('statsMessage carries the overlay figures', () => {
  const m = JSON.parse(statsMessage({ p2pBytes: 5, boxBytes: 3, r2Bytes: 2, uploadBytes: 1, p2pShare: 0.5, peers: 2, bufferS: 4, latencyS: 6, stalls: 1, stallS: 0.5 }));
  assert.equal(m.type, 'stats');
  assert.equal(m.p2p_share, 0.5);
  assert.equal(m.latency_secs, 6);
});

test('bareTorrent keeps the info dictionary and so the info hash', async () => {
  const bytes = await makeTorrent('seg-9.ts', randomBytes(30000));
  const meta = parseTorrent(bytes);
  const bare = bareTorrent(meta);
  const again = parseTorrent(bare, meta.infoHash);
  assert.equal(again.length, 30000);
  assert.equal(decode(bare).size, 1);
});
