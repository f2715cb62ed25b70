// Browser tests of the viewer in Debian Chromium, run inside the network namespace that
// scripts/test.d/70-viewer-browser.sh creates, against the real box: one viewer plays, its
// pieces pushed by the box's seeder through the live mesh; viewers get pieces from each other
// through the mesh over a few long-lived peer connections (not per segment); with P2P blocked
// playback goes on over HTTP without stalls; a stream restart resumes; a killed and restarted
// box is rejoined and the mesh rebuilt; a fresh viewer joins and plays while another address
// holds thousands of sockets to the box (issue 17).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInfra, BOX, SIGNAL, REFUSING_TRACKER, R2_VIEWER, waitFor, boxStatus } from './lib/infra.mjs';
import { HOST, PORT, FLOOD_HOST, PROBE_HOST } from './lib/infra.mjs';
import { openViewer } from './lib/browser.mjs';
import { startFlood, timedGet, percentile } from './lib/flood.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const viewerUrl = (extra = '') => `${BOX}/?signal=${encodeURIComponent(SIGNAL)}${extra}`;
let infra;
const open = [];

async function viewer(opts = {}, extra = '') {
  const v = await openViewer(viewerUrl(extra), opts);
  open.push(v);
  return v;
}

async function closeAll() {
  await Promise.all(open.splice(0).map((v) => v.close()));
}

function dump(v) {
  return `${v.name} log:\n${v.log.slice(-25).join('\n')}`;
}

/** Neighbours a viewer keeps (the box's default `mesh.neighbours`). */
const NEIGHBOURS = 6;
/** Peer connections one announce may offer (bittorrent-tracker's WebSocket client makes at most 5). */
const OFFERS_PER_ANNOUNCE = 5;

function figures(s) {
  return `share ${s.p2pShare}, from viewers ${s.peerBytes} B, box seeder ${s.seederBytes} B, box HTTP ${s.boxBytes} B, ` +
    `links ${s.peers} (${s.boxLinks} to the box), peer connections ${s.peerConnectionsCreated} made / ${s.peerConnectionsOpen} open, ` +
    `latency ${s.latencyS} s, stalls ${s.stalls}, segments ${JSON.stringify(s.segments)}`;
}

before(async () => {
  infra = await startInfra();
});

after(async () => {
  await closeAll();
  await infra?.close();
});

test('one viewer plays: currentTime advances >= 10 s, no fatal hls.js error', async () => {
  const v = await viewer({ name: 'solo' });
  await waitFor('10 s of playback', async () => (await v.playback()).advancedS >= 10, 40000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  const s = await v.stats();
  console.log(`solo viewer: startup ${s.startupS} s, mode ${s.mode}, ${figures(s)}`);
  assert.deepEqual(await v.errors(), []);
  assert.equal(s.mode, 'mesh', "the hello names the stream swarm: the page joins the live mesh");
  assert.ok(s.seederBytes > 0, 'a lone viewer (mDNS candidate hiding on) gets pieces from the box seeder through the mesh');
  assert.equal(s.boxLinks, 1, 'one link to the box');
  assert.equal(s.p2pShare, 0, "the box's seeder is box egress, not P2P");
  const made = s.peerConnectionsCreated;
  const segments = s.segments.p2pOnly + s.segments.mixed + s.segments.httpOnly;
  assert.ok(made >= 1 && made <= OFFERS_PER_ANNOUNCE, `${made} peer connections for ${segments} segments: one announce's offers`);
  assert.ok(segments >= 5, `${segments} segments`);
  const pwa = await v.page.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]').href;
    const manifest = await (await fetch(href)).json();
    const icons = await Promise.all(manifest.icons.map(async (i) => (await fetch(new URL(i.src, href))).status));
    // Over plain HTTP the page is no secure context: no service worker API, none registered.
    const workers = navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).length : 0;
    return { name: manifest.name, sizes: manifest.icons.map((i) => i.sizes), icons, workers, secure: isSecureContext };
  });
  assert.ok(pwa.sizes.includes('192x192') && pwa.sizes.includes('512x512'), JSON.stringify(pwa));
  assert.ok(pwa.icons.every((st) => st === 200), 'every icon is served');
  assert.equal(pwa.secure, false);
  assert.equal(pwa.workers, 0, 'no service worker over plain HTTP');
  await v.page.keyboard.press('s');
  const overlay = await v.page.locator('#stats').innerText();
  assert.match(overlay, /P2P share\s+\d+ %/);
  assert.match(overlay, /behind live/);
  assert.match(overlay, /peer conns\s+\d+ made, \d+ open/);
  assert.match(overlay, /from box\s+seeder \d+\.\d MiB {2}HTTP \d+\.\d MiB/);
  await v.page.locator('#state').click();
  assert.equal(await v.page.locator('#stats').isHidden(), true, 'a tap hides the overlay');
  await closeAll();
});

test('with mDNS candidate hiding off, a lone viewer also gets pieces from the box seeder', async () => {
  const v = await viewer({ name: 'no-mdns-hiding', mdnsHiding: false });
  await waitFor('seeder bytes', async () => (await v.stats()).seederBytes > 0, 30000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  assert.deepEqual(await v.errors(), []);
  await closeAll();
});

test('viewers get pieces from each other through the mesh over a few long-lived peer connections', async () => {
  const first = await viewer({ name: 'v1' });
  const late = [];
  for (let i = 2; i <= 4; i++) {
    await sleep(4000);
    late.push(await viewer({ name: `v${i}` }));
  }
  const all = [first, ...late];
  for (const v of all) {
    await waitFor(`${v.name} bytes from other viewers`, async () => (await v.stats()).peerBytes > 0, 30000).catch((e) => {
      throw new Error(`${e.message}\n${dump(v)}`);
    });
  }
  // Peer connections are made when joining and when a neighbour is lost, not per segment.
  const before = await Promise.all(all.map((v) => v.stats()));
  await sleep(12000); // 6 segments, more than one report period
  const after = await Promise.all(all.map((v) => v.stats()));
  for (const [i, v] of all.entries()) {
    const [b, s] = [before[i], after[i]];
    const segs = (x) => x.segments.p2pOnly + x.segments.mixed + x.segments.httpOnly;
    console.log(`${v.name}: ${figures(s)}`);
    assert.ok(s.peers >= 2, `${v.name}: ${s.peers} links (the box and at least one viewer)`);
    assert.ok(s.peerConnectionsCreated <= NEIGHBOURS + OFFERS_PER_ANNOUNCE, `${v.name}: ${s.peerConnectionsCreated} peer connections made`);
    assert.ok(segs(s) - segs(b) >= 4, `${v.name}: ${segs(s) - segs(b)} segments in 12 s`);
    // At most one replacement announce's offers (a lost neighbour); per segment would be ~5 each.
    assert.ok(s.peerConnectionsCreated - b.peerConnectionsCreated <= OFFERS_PER_ANNOUNCE,
      `${v.name}: ${s.peerConnectionsCreated - b.peerConnectionsCreated} peer connections made during ${segs(s) - segs(b)} segments`);
    assert.ok(s.peerBytes > b.peerBytes, `${v.name} kept getting pieces from other viewers`);
  }
  await first.page.keyboard.press('s');
  const overlay = await first.page.locator('#stats').innerText();
  const fromViewers = Number(/from viewers (\d+\.\d) MiB/.exec(overlay)?.[1]);
  assert.ok(fromViewers > 0, `the overlay shows bytes from other viewers:\n${overlay}`);
  const sig = await infra.signalStatus();
  console.log(`box aggregate: ${JSON.stringify(sig.viewers)}`);
  assert.equal(sig.rejected_messages_total, 0, 'every viewer message follows the protocol');
  assert.equal(sig.viewers.rejected_reports, 0, 'every stats report is accepted');
  assert.ok(sig.viewers.reporting >= all.length, `${sig.viewers.reporting} viewers reporting`);
  assert.ok(sig.viewers.p2p_share > 0, `aggregate P2P share ${sig.viewers.p2p_share}`);
  for (const v of all) assert.deepEqual(await v.errors(), [], v.name);
  await closeAll();
});

async function playsOverHttpWithoutStalls(v, source = 'box') {
  const from = await v.now();
  await waitFor(`${v.name} 20 s of playback`, async () => (await v.playback(from)).advancedS >= 20, 45000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  const p = await v.playback(from);
  const s = await v.stats();
  console.log(`${v.name}: longest freeze ${p.longestFreezeMs} ms, P2P ${s.p2pBytes} B, box seeder ${s.seederBytes} B, box HTTP ${s.boxBytes} B, R2 ${s.r2Bytes} B, mode ${s.mode}, peer connections ${s.peerConnectionsCreated}`);
  assert.equal(s.p2pBytes, 0, 'P2P is blocked, so no P2P bytes');
  assert.equal(s.seederBytes, 0, 'nor bytes from the box seeder');
  assert.ok((source === 'r2' ? s.r2Bytes : s.boxBytes) > 0, `played over HTTP from ${source}`);
  assert.ok(p.longestFreezeMs <= 1000, `stall of ${p.longestFreezeMs} ms`);
  assert.deepEqual(await v.errors(), []);
}

test('P2P blocked (tracker refusing; WebRTC missing) or loaded from R2: HTTP playback, no stall over 1 s', async () => {
  const refused = await viewer({ name: 'refused' }, `&tracker=${encodeURIComponent(REFUSING_TRACKER)}`);
  const noRtc = await viewer({ name: 'no-webrtc', noWebRTC: true });
  const fromR2 = await openViewer(`${R2_VIEWER}?source=r2`, { name: 'from-r2' });
  open.push(fromR2);
  await Promise.all([
    playsOverHttpWithoutStalls(refused),
    playsOverHttpWithoutStalls(noRtc),
    playsOverHttpWithoutStalls(fromR2, 'r2'),
  ]);
  const r2 = await fromR2.stats();
  assert.equal(r2.boxBytes, 0, 'a viewer loaded from R2 fetches nothing from the box');
  assert.equal((await noRtc.stats()).mode, 'HTTP (verified)');
  assert.equal(r2.peerConnectionsCreated, 0);
  await closeAll();
});

test('one address holds 3000 sockets: a fresh viewer still joins and plays, /healthz and the playlist keep answering', async () => {
  const flood = await startFlood({ from: FLOOD_HOST, host: HOST, port: PORT, total: 3000 });
  try {
    const atStart = flood.figures();
    const v = await viewer({ name: 'beside-a-flood' });
    const times = { '/healthz': [], '/hls/live.m3u8': [] };
    let probing = true;
    const prober = (async () => {
      for (let i = 0; probing; i++) {
        const path = i % 2 === 0 ? '/healthz' : '/hls/live.m3u8';
        const [status, ms] = await timedGet({ from: PROBE_HOST, host: HOST, port: PORT, path });
        assert.equal(status, 200, path);
        times[path].push(ms);
        await sleep(20);
      }
    })();
    try {
      await waitFor('6 s of playback beside the flood', async () => (await v.playback()).advancedS >= 6, 25000).catch((e) => {
        throw new Error(`${e.message}\n${dump(v)}`);
      });
    } finally {
      probing = false;
      await prober;
    }
    const s = await v.stats();
    const during = flood.figures();
    const metrics = await (await fetch(`${BOX}/metrics`)).text();
    const metric = (name) => Number(new RegExp(`^venuebox_${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
    const all = [...times['/healthz'], ...times['/hls/live.m3u8']];
    const fmt = (xs) => `n ${xs.length}, p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`flood from ${FLOOD_HOST}: ${atStart.opened} sockets opened at start (${atStart.open} open), ${during.opened} by the end ` +
      `(${during.open} open, ${during.closedByBox} closed by the box); box: ${metric('http_connections_open')} connections open, ` +
      `${metric('http_connections_refused_per_address_total')} refused per address`);
    console.log(`viewer beside it: startup ${s.startupS} s, mode ${s.mode}, stalls ${s.stalls}; ` +
      `probe from ${PROBE_HOST}: /healthz ${fmt(times['/healthz'])}; playlist ${fmt(times['/hls/live.m3u8'])}; both ${fmt(all)}`);
    assert.ok(atStart.opened >= 3000, `${atStart.opened} sockets opened`);
    assert.ok(metric('http_connections_refused_per_address_total') >= 2500, 'the per-address cap refused the flood');
    assert.ok(all.length >= 100, `${all.length} probes`);
    // Latency is a figure (printed above, recorded in docs/BENCHMARKS.md), not a timed assertion:
    // here every probe must be answered, none held for seconds by the flood.
    for (const [path, xs] of Object.entries(times)) assert.ok(Math.max(...xs) < 2000, `${path} max ${Math.max(...xs)} ms`);
    assert.deepEqual(await v.errors(), []);
  } finally {
    const left = await flood.stop();
    assert.equal(left, 0, `${left} flood sockets still open`);
    await closeAll();
  }
});

test('a stream restart resumes playback; after the box is killed and restarted the viewer reconnects and plays on', async () => {
  const v = await viewer({ name: 'restart' });
  await waitFor('playback', async () => (await v.playback()).advancedS >= 4, 30000);
  const before = (await boxStatus()).ingest.producer_restarts;
  await infra.restartStream();
  await waitFor('the box to see the restart', async () => (await boxStatus()).ingest.producer_restarts > before, 30000);
  const from = await v.now();
  await waitFor('8 s of playback after the restart', async () => (await v.playback(from)).advancedS >= 8, 45000).catch(
    (e) => {
      throw new Error(`${e.message}\n${dump(v)}`);
    },
  );
  const beforeKill = await v.now();
  await infra.restartBox();
  // The viewer's counters start again with each signaling connection: new bytes prove that it
  // reconnected to the restarted box and fetched segments from it.
  await waitFor('a report of new bytes to the restarted box', async () => {
    const sig = await infra.signalStatus();
    const v = sig.viewers;
    return v.reporting >= 1 && v.bytes_p2p + v.bytes_seeder + v.bytes_http > 0;
  }, 30000);
  await waitFor('playback after the box restart', async () => (await v.playback(beforeKill)).advancedS >= 12, 45000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  await waitFor('the mesh rebuilt: a link to the restarted box', async () => (await v.stats()).boxLinks >= 1, 30000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  const s = await v.stats();
  console.log(`restart: resumed; stalls ${s.stalls} (${s.stallS} s), player restarts ${await v.page.evaluate(() => window.venuebox.player.restarts)}, ${figures(s)}`);
  await closeAll();
});
