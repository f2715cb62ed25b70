// Real traffic against the staff figures, inside the namespace 65-admin-browser.sh creates (the
// box runs in its gateway namespace): a Chromium viewer plays and stock webtorrent downloads a
// segment given only the magnet from /api/status; every figure of the staff page is checked
// against bytes counted outside the box (this namespace's veth) or by the clients themselves.
// Then client isolation both ways: three viewers that reach each other (no warning), three
// whose UDP to each other nftables drops while the box stays reachable (warning within 30 s),
// and the warning clearing once two viewers link up again. Screenshots go to <out>.
// Usage: node traffic.test.mjs <box URL> <staff (HTTPS) URL> <staff password> <veth> <out folder>
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [base, staffArg, password, veth, outDir] = process.argv.slice(2);
const staffBase = staffArg || base;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required', '--disable-features=WebRtcHideLocalIpsWithMdns'];
const auth = 'Basic ' + Buffer.from(`staff:${password}`).toString('base64');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rx = () => Number(readFileSync(`/sys/class/net/${veth}/statistics/rx_bytes`, 'utf8'));
const status = async () => (await fetch(`${base}/api/status`)).json();
const mib = (b) => (b / 1048576).toFixed(2) + ' MiB';
const results = [];

function fail(msg) {
  console.error(`traffic: ${msg}`);
  process.exit(1);
}

function check(ok, what) {
  results.push(`${ok ? 'ok' : 'FAIL'} ${what}`);
  if (!ok) fail(`${what}\n${results.join('\n')}`);
}

async function waitFor(what, fn, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(500);
  }
}

/** Stock webtorrent in Node, given only the newest segment's magnet from /api/status. */
function webtorrent(magnet) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [new URL('../interop/wt-magnet.mjs', import.meta.url).pathname, magnet], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        child.stdin.end();
        resolve(JSON.parse(out.split('\n')[0]));
      }
    });
    child.on('exit', (code) => code && reject(new Error(`webtorrent exited ${code}`)));
  });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false, args: FLAGS });
const viewers = [];
async function viewer(extra = '') {
  const ctx = await browser.newContext({ viewport: { width: 480, height: 400 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/?${extra}`);
  const v = { ctx, page, stats: () => page.evaluate(() => window.venuebox.stats()) };
  viewers.push(v);
  return v;
}
async function closeViewers() {
  await Promise.all(viewers.splice(0).map((v) => v.ctx.close()));
}
const problems = async () => ((await status()).box.problems || []).map((p) => p.id);

try {
  const rx0 = rx();
  const s0 = await status();
  const egress0 = s0.box.egress_bytes_total;

  // One viewer plays (overlay open for the README picture).
  const a = await viewer('stats=1');
  await waitFor('the viewer plays with bytes from the box seeder', async () => {
    const s = await a.stats();
    return s.seederBytes > 0 && s.latencyS !== null && (s.segments.p2pOnly + s.segments.mixed + s.segments.httpOnly) >= 4;
  }, 40000);

  // Stock webtorrent, only the magnet (its tracker must be the address this client used).
  const st = await status();
  const seg = st.seeder.segments.filter((x) => !x.init).at(-1);
  check(seg.magnet.includes(encodeURIComponent(new URL(base).host)), `magnet names ${new URL(base).host}: ${seg.magnet}`);
  const wt = await webtorrent(seg.magnet);
  const http = Buffer.from(await (await fetch(`${base}/hls/${seg.name}`)).arrayBuffer());
  check(wt.sha1 === createHash('sha1').update(http).digest('hex'), `webtorrent got ${seg.name} (${wt.bytes} B in ${wt.ms} ms) from the magnet alone, same bytes as HTTP`);

  // The viewer's own counts bracket what the box aggregated (reports are cumulative; the first
  // comes 5 s after the page loaded).
  await waitFor('the viewer\'s first stats report', async () => (await status()).signal.viewers.bytes_seeder > 0, 15000);
  // Then a report made after v1 must reach the box (every 2 s; a loaded machine delays the
  // page's timer): its cumulative figures are then at least v1's and at most v2's.
  const v1 = await a.stats();
  let s1 = null;
  await waitFor('a stats report made after the viewer\'s first count', async () => {
    s1 = await status();
    const w = s1.signal.viewers;
    return w.bytes_http >= v1.boxBytes && w.bytes_seeder >= v1.seederBytes && w.bytes_p2p >= v1.peerBytes && w.stalls >= v1.stalls;
  }, 20000);
  const v2 = await a.stats();
  const vw = s1.signal.viewers;
  const between = (x, lo, hi) => x >= lo && x <= hi;

  check(between(vw.bytes_seeder, v1.seederBytes, v2.seederBytes), `box seeder bytes: box says ${vw.bytes_seeder}, viewer counted ${v1.seederBytes}..${v2.seederBytes}`);
  check(between(vw.bytes_http, v1.boxBytes, v2.boxBytes), `box HTTP bytes: box says ${vw.bytes_http}, viewer counted ${v1.boxBytes}..${v2.boxBytes}`);
  check(between(vw.bytes_p2p, v1.peerBytes, v2.peerBytes) && vw.bytes_r2 === 0, `bytes from viewers ${vw.bytes_p2p} (viewer ${v1.peerBytes}..${v2.peerBytes}), R2 ${vw.bytes_r2}`);
  const total = vw.bytes_p2p + vw.bytes_seeder + vw.bytes_http + vw.bytes_r2;
  check(Math.abs(vw.p2p_share - vw.bytes_p2p / total) < 1e-9 && Math.abs(vw.p2p_share - v2.p2pShare) < 0.05,
    `offload ${vw.p2p_share} = other viewers' share of all viewer bytes (viewer says ${v2.p2pShare})`);
  check(vw.paths.p2p === 1 && vw.viewers === 1, `viewers by path ${JSON.stringify(vw.paths)}`);
  check(Math.abs(vw.latency_p50_secs - v2.latencyS) < 3 && vw.latency_p95_secs === vw.latency_p50_secs,
    `latency p50 ${vw.latency_p50_secs} s / p95 ${vw.latency_p95_secs} s (viewer ${v2.latencyS} s)`);
  check(vw.stalls >= v1.stalls && vw.stalls <= v2.stalls, `stalls ${vw.stalls} (viewer ${v2.stalls})`);

  // Box egress by its own counters against the veth and the clients' own counts.
  await sleep(500);
  const s2 = await status();
  const rx1 = rx();
  const egress = s2.box.egress_bytes_total - egress0;
  const wire = rx1 - rx0;
  const clients = v2.seederBytes + v2.boxBytes + wt.bytes + http.length;
  check(egress <= wire && egress >= 0.75 * wire, `box egress ${mib(egress)} vs ${mib(wire)} on the veth (${(egress / wire * 100).toFixed(1)} %, the rest is headers and signaling)`);
  check(egress >= 0.98 * clients, `box egress ${mib(egress)} covers what the clients counted from the box (${mib(clients)}: viewer seeder + HTTP, webtorrent, the test's HTTP fetch)`);
  const made = s2.window.added_bytes_total;
  check(Math.abs(s2.box.http_copies_per_segment * made - s2.http.segment_bytes) < 2 && s2.http.segment_bytes >= v1.boxBytes + http.length,
    `HTTP copies per segment ${s2.box.http_copies_per_segment.toFixed(2)} (${s2.http.segment_bytes} segment bytes / ${made} made; viewer + test fetched ${v1.boxBytes + http.length})`);
  const seederSent = (s2.seeder.uploaded_bytes_total ?? 0) + (s2.seeder.mesh?.bytes_sent ?? 0);
  check(seederSent >= v1.seederBytes + wt.bytes, `seeder sent ${mib(seederSent)} >= viewer + webtorrent got ${mib(v1.seederBytes + wt.bytes)}; copies/segment ${s2.box.seeder_copies_per_segment.toFixed(2)}`);
  const speed = Number(readFileSync(`/sys/class/net/${veth}/speed`, 'utf8')) * 1e6;
  check(s2.box.link_capacity_bps === speed, `link capacity ${s2.box.link_capacity_bps / 1e6} Mbit/s = the veth's speed; egress ${(s2.box.egress_link_share * 100).toFixed(4)} % of it`);

  // Screenshots for the README: the viewer with its overlay, the staff page with live figures.
  await a.page.screenshot({ path: `${outDir}/viewer.png` });
  const staffCtx = await browser.newContext({ httpCredentials: { username: 'staff', password }, ignoreHTTPSErrors: true, bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const staff = await staffCtx.newPage();
  const notFound = [];
  staff.on('response', (r) => r.status() === 404 && notFound.push(r.url()));
  await staff.goto(`${staffBase}/admin`);
  await staff.waitForFunction(() => {
    const v = (l) => document.querySelector(`.card[data-label="${l}"] .v`)?.textContent;
    return v('Ingest') === 'live' && v('Viewers') === '1' && /×/.test(v('Resolution')) && /Mbit\/s/.test(v('Box egress')) && v('Offload (P2P)') === '0 %';
  }, null, { timeout: 15000 });
  const tips = await staff.locator('.card').evaluateAll((cs) => cs.filter((c) => !c.title).length);
  check(tips === 0, 'every card says in a tooltip what it counts');
  check(notFound.length === 0, `the staff page requests nothing that answers 404 (${notFound.join(' ')})`);
  await staff.screenshot({ path: `${outDir}/staff.png`, fullPage: true });

  // Not isolated: three viewers reach each other; no warning.
  await viewer();
  await viewer();
  await waitFor('viewers linked to each other', async () => (await status()).signal.viewers.isolation.connected >= 2, 30000);
  const quiet = Date.now();
  let polls = 0;
  while (Date.now() - quiet < 8000) {
    if ((await problems()).includes('client_isolation')) check(false, 'no isolation warning while viewers reach each other');
    polls++;
    await sleep(1000);
  }
  check(true, `not isolated: no isolation warning in ${polls} polls over 8 s with 3 viewers linked (${JSON.stringify((await status()).signal.viewers.isolation)})`);
  await closeViewers();

  // Isolated: UDP between viewers dropped (the box's address stays reachable).
  execFileSync('nft', ['-f', '-'], { input: `table inet vbiso {
    chain out { type filter hook output priority 0; ip daddr 198.18.0.1 meta l4proto udp drop; meta nfproto ipv6 meta l4proto udp drop; }
  }\n` });
  const t0 = Date.now();
  await Promise.all([viewer(), viewer(), viewer()]);
  await waitFor('the isolation warning', async () => (await problems()).includes('client_isolation'), 30000);
  const warnedS = (Date.now() - t0) / 1000;
  await staff.waitForFunction(() => document.getElementById('problems').innerText.includes('turn off client isolation') ||
    document.getElementById('problems').innerText.includes('Turn off client isolation'), null, { timeout: 5000 });
  check(true, `isolated: the staff page says "Viewers cannot reach each other ... Turn off client isolation" ${warnedS.toFixed(1)} s after the viewers opened`);
  await staff.screenshot({ path: `${outDir}/staff-isolation.png`, fullPage: true });

  // P2P works again: the warning clears.
  execFileSync('nft', ['delete', 'table', 'inet', 'vbiso']);
  const t1 = Date.now();
  await Promise.all([viewer(), viewer()]);
  await waitFor('the warning to clear', async () => !(await problems()).includes('client_isolation'), 30000);
  check(true, `not isolated again: the warning cleared ${((Date.now() - t1) / 1000).toFixed(1)} s after two more viewers joined`);
  console.log(`traffic:\n${results.join('\n')}`);
} finally {
  try { execFileSync('nft', ['delete', 'table', 'inet', 'vbiso'], { stdio: 'ignore' }); } catch {}
  await browser.close();
}
