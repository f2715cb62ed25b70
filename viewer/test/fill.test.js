// Unit tests of HTTP piece filling (against a real local HTTP server with Range), the deadline
// policy, the segment window and stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseTorrent } from '../src/torrent-meta.js';
import { missingRuns, fetchPieces, FetchError } from '../src/pieces.js';
import { p2pWaitMs } from '../src/deadline.js';
import { SegmentWindow } from '../src/window.js';
import { Stats } from '../src/stats.js';
import { makeTorrent } from './codec.test.js';

/** Serves `routes` (path -> {data, status}) with Range support; counts requests. */
function server(routes) {
  const s = http.createServer((req, res) => {
    const r = routes[req.url];
    s.requests = (s.requests || 0) + 1;
    if (!r || r.status) return res.writeHead(r?.status || 404).end();
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range || '');
    if (!m) return res.writeHead(200).end(r.data);
    res.writeHead(206).end(r.data.subarray(Number(m[1]), Number(m[2]) + 1));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

test('missingRuns groups consecutive missing pieces, bounded', () => {
  const have = new Set([0, 3, 4]);
  assert.deepEqual(missingRuns(8, (i) => have.has(i)), [[1, 2], [5, 7]]);
  assert.deepEqual(missingRuns(5, () => false, 2), [[0, 1], [2, 3], [4, 4]]);
  assert.deepEqual(missingRuns(3, () => true), []);
});

test('fetchPieces takes verified pieces from the box, the rest from R2', async () => {
  const data = randomBytes(70000);
  const meta = parseTorrent(await makeTorrent('seg-1.ts', data));
  const corrupt = Buffer.from(data);
  corrupt[20000] ^= 0xff; // piece 1 is bad on the box
  const s = await server({ '/box': { data: corrupt }, '/r2': { data } });
  const base = `http://127.0.0.1:${s.address().port}`;
  const bytes = { box: 0, r2: 0 };
  const got = await fetchPieces(meta, [[0, 4]], [{ name: 'box', url: `${base}/box` }, { name: 'r2', url: `${base}/r2` }], {
    onBytes: (n, k) => (bytes[n] += k),
  });
  s.close();
  assert.equal(got.size, 5);
  assert.deepEqual(Buffer.from(got.get(1)), data.subarray(16384, 32768));
  assert.equal(bytes.box, 70000);
  assert.equal(bytes.r2, 16384);
});

test('fetchPieces throws FetchError when no source has a piece', async () => {
  const data = randomBytes(40000);
  const meta = parseTorrent(await makeTorrent('seg-2.ts', data));
  const s = await server({ '/gone': { status: 404 } });
  const url = `http://127.0.0.1:${s.address().port}/gone`;
  await assert.rejects(fetchPieces(meta, [[0, 2]], [{ name: 'box', url }], { onBytes() {} }), FetchError);
  s.close();
});

test('p2pWaitMs spends only what the buffer can spare', () => {
  const base = { segmentS: 2, httpEstimateS: 0.2, p2pHealthy: true };
  assert.equal(p2pWaitMs({ ...base, bufferAheadS: 0 }), 0);
  assert.equal(p2pWaitMs({ ...base, bufferAheadS: 3 }), 1500);
  assert.equal(p2pWaitMs({ ...base, bufferAheadS: 30 }), 3000);
  assert.equal(p2pWaitMs({ ...base, bufferAheadS: 30, p2pHealthy: false }), 500);
  assert.equal(p2pWaitMs({ ...base, bufferAheadS: 4, httpEstimateS: 2 }), 0);
});

test('SegmentWindow keeps the newest and finds segments by URL', () => {
  const w = new SegmentWindow(3);
  for (let i = 0; i < 5; i++) w.add({ seq: i, name: `seg-${i}.ts`, infoHash: `${i}` });
  assert.deepEqual([...w.names()].sort(), ['seg-2.ts', 'seg-3.ts', 'seg-4.ts']);
  assert.equal(w.forUrl('http://box/hls/seg-3.ts?x=1').seq, 3);
  assert.equal(w.forUrl('http://box/hls/seg-0.ts'), null);
  w.reset([{ seq: 9, name: 'seg-9.ts' }]);
  assert.deepEqual([...w.names()], ['seg-9.ts']);
});

test('Stats computes the P2P share and stall time', () => {
  const s = new Stats();
  s.add('peer', 600);
  s.add('seeder', 200);
  s.add('box', 200);
  s.stallBegan(1000);
  s.stallEnded(1500);
  s.stallBegan(2000);
  const snap = s.snapshot(2300, { peers: 3, bufferS: 4, latencyS: 6 });
  assert.equal(snap.p2pShare, 0.6, "other viewers only: the box's seeder is box egress");
  assert.equal(snap.p2pBytes, 600);
  assert.equal(snap.boxEgressBytes, 400);
  assert.equal(snap.stalls, 2);
  assert.equal(snap.stallS, 0.8);
  assert.equal(snap.longestStallS, 0.5);
});
