// Browser tests of the viewer in Debian Chromium, run inside the network namespace that
// scripts/test.d/70-viewer-browser.sh creates, against the real box: one viewer plays; late
// joiners get P2P bytes; with P2P blocked playback goes on over HTTP without stalls; a stream
// restart resumes; a killed and restarted box is rejoined.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInfra, BOX, SIGNAL, REFUSING_TRACKER, R2_VIEWER, waitFor, boxStatus } from './lib/infra.mjs';
import { openViewer } from './lib/browser.mjs';

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
  console.log(`solo viewer: startup ${s.startupS} s, latency ${s.latencyS} s, P2P share ${s.p2pShare}, mode ${s.mode}`);
  assert.deepEqual(await v.errors(), []);
  assert.ok(s.seederBytes > 0, 'a lone viewer (mDNS candidate hiding on) gets pieces from the box seeder');
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

test('late joiners each get P2P bytes and report a P2P share above zero', async () => {
  const first = await viewer({ name: 'v1' });
  const late = [];
  for (let i = 2; i <= 4; i++) {
    await sleep(4000);
    late.push(await viewer({ name: `v${i}` }));
  }
  for (const v of late) {
    await waitFor(`${v.name} P2P bytes`, async () => (await v.stats()).p2pBytes > 0, 30000).catch((e) => {
      throw new Error(`${e.message}\n${dump(v)}`);
    });
  }
  await sleep(6000); // more than one report period
  const all = [first, ...late];
  for (const v of all) {
    const s = await v.stats();
    console.log(`${v.name}: share ${s.p2pShare}, from peers ${s.peerBytes} B, from seeder ${s.seederBytes} B, box HTTP ${s.boxBytes} B, peers ${s.peers}, latency ${s.latencyS} s, stalls ${s.stalls}`);
  }
  const sig = await infra.signalStatus();
  console.log(`box aggregate: ${JSON.stringify(sig.viewers)}`);
  assert.equal(sig.rejected_messages_total, 0, 'every viewer message follows the protocol');
  assert.equal(sig.viewers.rejected_reports, 0, 'every stats report is accepted');
  assert.ok(sig.viewers.reporting >= all.length, `${sig.viewers.reporting} viewers reporting`);
  assert.ok(sig.viewers.p2p_share > 0, `aggregate P2P share ${sig.viewers.p2p_share}`);
  const fromViewers = await Promise.all(late.map(async (v) => (await v.stats()).peerBytes));
  console.log(`late joiners' bytes from other viewers: ${fromViewers.join(', ')}`);
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
  console.log(`${v.name}: longest freeze ${p.longestFreezeMs} ms, P2P ${s.p2pBytes} B, box HTTP ${s.boxBytes} B, R2 ${s.r2Bytes} B, mode ${s.mode}`);
  assert.equal(s.p2pBytes, 0, 'P2P is blocked, so no P2P bytes');
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
  await closeAll();
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
    return sig.viewers.reporting >= 1 && sig.viewers.bytes_p2p + sig.viewers.bytes_http > 0;
  }, 30000);
  await waitFor('playback after the box restart', async () => (await v.playback(beforeKill)).advancedS >= 12, 45000).catch((e) => {
    throw new Error(`${e.message}\n${dump(v)}`);
  });
  const s = await v.stats();
  console.log(`restart: resumed; stalls ${s.stalls} (${s.stallS} s), player restarts ${await v.page.evaluate(() => window.venuebox.player.restarts)}`);
  await closeAll();
});
