// Opens the staff page in headless Chromium while a viewer (a WebSocket in another page) reports
// stats over /signal; asserts the page shows live figures (offload 75 %: 3 MB from viewers of 4 MB), takes screenshots (normal and QR
// mode) and checks that the page refuses a browser without the password.
// Usage: node admin.test.mjs <box URL> <staff password> <screenshot folder> [<staff (HTTPS) URL>]
import { chromium } from 'playwright-core';

const [base, password, outDir, staffBase = base] = process.argv.slice(2);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required'];

function fail(msg) {
  console.error(`admin-browser: ${msg}`);
  process.exit(1);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
try {
  // No password: 401 and no page.
  const anon = await browser.newContext({ ignoreHTTPSErrors: true });
  const refused = await anon.request.get(`${staffBase}/admin`);
  if (refused.status() !== 401) fail(`without the password /admin answered ${refused.status()}`);
  if (!(refused.headers()['www-authenticate'] || '').startsWith('Basic')) fail('401 without a Basic challenge');
  await anon.close();

  // A viewer that reports stats over /signal.
  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(`${base}/healthz`);
  const hello = await viewer.evaluate((wsUrl) => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    window.__ws = ws;
    ws.onerror = () => reject(new Error('websocket error'));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type !== 'hello') return;
      ws.send(JSON.stringify({ v: 1, type: 'stats', bytes_p2p: 3000000, bytes_http: 1000000, bytes_r2: 0,
        peers: 3, buffer_secs: 4.5, latency_secs: 5.5, stalls: 1 }));
      resolve(m);
    };
  }), base.replace(/^http/, 'ws') + '/signal');
  if (!hello.tracker_url.endsWith('/announce')) fail(`odd hello ${JSON.stringify(hello)}`);

  // The staff page with the password.
  const staff = await browser.newContext({ httpCredentials: { username: 'staff', password }, ignoreHTTPSErrors: true, bypassCSP: true, viewport: { width: 1280, height: 800 } });
  const page = await staff.newPage();
  const t0 = Date.now();
  const resp = await page.goto(`${staffBase}/admin`);
  if (resp.status() !== 200) fail(`with the password /admin answered ${resp.status()}`);
  const card = (label) => page.locator(`.card[data-label="${label}"] .v`);
  // Live, the viewer's report counted, and the newest segment probed (resolution).
  await page.waitForFunction(() => {
    const v = (l) => document.querySelector(`.card[data-label="${l}"] .v`)?.textContent;
    return v('Ingest') === 'live' && v('Viewers') === '1' && v('Offload (P2P)') === '75 %' && /Mbit\/s/.test(v('Bitrate'))
      && /^\d+×\d+$/.test(v('Resolution'));
  }, null, { timeout: 30000 });
  const live = Date.now() - t0;
  const figures = {};
  for (const label of ['Ingest', 'Bitrate', 'Resolution', 'Segment age', 'Viewers', 'Offload (P2P)', 'Box egress', 'Viewer latency', 'Stalls']) {
    figures[label] = await card(label).textContent();
  }
  if (figures['Viewer latency'] !== '5.5 s' || figures.Stalls !== '1' || !/^\d+×\d+$/.test(figures.Resolution)) fail(`figures ${JSON.stringify(figures)}`);
  const text = await page.locator('body').innerText();
  for (const needle of ['VenueBox staff', 'Recent problems', 'What the figures count', 'Bitrate (Mbit/s)', 'Offload from viewers (%)']) {
    if (!text.includes(needle)) fail(`page text lacks ${needle}`);
  }
  // Recent problems: a live stream with one healthy viewer has none about the stream or the
  // viewers. The host's own (little memory or disk left on the test machine) are true facts
  // about it, so they may be listed (and are printed).
  const shown = await page.locator('#problems li').evaluateAll((lis) => lis.map((li) => ({ id: li.dataset.id, text: li.innerText })));
  const hostOnly = new Set(['memory_low', 'disk_low']);
  const listed = shown.filter((p) => p.id !== '');
  if (listed.some((p) => !hostOnly.has(p.id))) fail(`problems listed for a healthy live stream: ${JSON.stringify(shown)}`);
  if (listed.length === 0 && !(shown.length === 1 && shown[0].text === 'No problems.')) fail(`empty problem list shown as ${JSON.stringify(shown)}`);
  if (listed.length) console.log(`admin-browser: the host's own problems listed: ${JSON.stringify(listed)}`);
  await page.screenshot({ path: `${outDir}/admin.png`, fullPage: true });

  // Full-screen QR mode for projecting.
  await page.click('#qr-open');
  await page.waitForFunction(() => {
    const img = document.getElementById('qr-img');
    return document.getElementById('qr').classList.contains('on') && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 10000 });
  const qrUrl = await page.locator('#qr-url').textContent();
  if (!/^http:\/\/[0-9.]+:\d+\/$/.test(qrUrl)) fail(`QR mode shows ${qrUrl}`);
  await page.screenshot({ path: `${outDir}/admin-qr.png` });
  console.log(`admin-browser: live figures after ${live} ms: ${JSON.stringify(figures)}; QR mode shows ${qrUrl}`);
} finally {
  await browser.close();
}
