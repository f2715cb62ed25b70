// Viewer benchmark (scripts/bench/viewer.sh): 4 Chromium viewers joining 5 s apart on a
// 2.5 Mbit/s stream; prints each one's P2P share (other viewers only), bytes by source, startup
// time, latency behind live and RTCPeerConnections made (counted in the page).
import { startInfra, BOX, SIGNAL } from './lib/infra.mjs';
import { openViewer } from './lib/browser.mjs';

const VIEWERS = Number(process.env.VIEWERS || 4);
const MEASURE_S = Number(process.env.MEASURE_S || 60);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

const infra = await startInfra({ width: 640, height: 360, kbps: 2500, fps: 25 });
const viewers = [];
try {
  for (let i = 1; i <= VIEWERS; i++) {
    viewers.push(await openViewer(`${BOX}/?signal=${encodeURIComponent(SIGNAL)}`, { name: `v${i}` }));
    await sleep(5000);
  }
  const latency = new Map(viewers.map((v) => [v, []]));
  for (let t = 0; t < MEASURE_S; t += 2) {
    await sleep(2000);
    for (const v of viewers) {
      const s = await v.stats();
      if (s.latencyS !== null) latency.get(v).push(s.latencyS);
    }
  }
  const rows = [];
  let p2p = 0;
  let all = 0;
  for (const v of viewers) {
    const s = await v.stats();
    const p = await v.playback();
    p2p += s.p2pBytes;
    all += s.p2pBytes + s.seederBytes + s.boxBytes + s.r2Bytes;
    const lat = latency.get(v);
    const minutes = (Date.now() - v.openedAt) / 60000;
    rows.push(`| ${v.name} | ${(s.p2pShare * 100).toFixed(1)} % | ${(s.peerBytes / 1e6).toFixed(1)} / ${(s.seederBytes / 1e6).toFixed(1)} / ${(s.boxBytes / 1e6).toFixed(1)} | ${(p.firstMoveMs / 1000).toFixed(2)} s | ${median(lat).toFixed(1)} s / ${p95(lat).toFixed(1)} s | ${s.stalls} (${s.stallS} s) | ${s.segments.p2pOnly}/${s.segments.mixed}/${s.segments.httpOnly} | ${s.peerConnectionsCreated} (${(s.peerConnectionsCreated / minutes).toFixed(1)}/min), ${s.peers} links |`);
  }
  console.log('| viewer | P2P share | MB from viewers / box seeder / box HTTP | open -> playing | latency median / p95 | stalls | segments P2P/mixed/HTTP | peer connections made |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log(`all viewers: P2P share ${((100 * p2p) / all).toFixed(1)} % of ${(all / 1e6).toFixed(1)} MB (from other viewers; the box's seeder counts as box egress)`);
} finally {
  await Promise.all(viewers.map((v) => v.close()));
  await infra.close();
}
