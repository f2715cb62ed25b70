// Opens viewers in Debian Chromium through playwright-core (DESIGN.md flags, a fresh
// user-data-dir each) with an in-page probe that samples the video element independently of
// the viewer's own stats: playhead every 250 ms, so stalls are measured from outside.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required'];

const PROBE = `
  window.__probe = { samples: [] };
  // analyse(samples, from): playhead advance and the longest freeze after the first move.
  setInterval(() => {
    const v = document.querySelector('video');
    if (v) window.__probe.samples.push([performance.now(), v.currentTime, v.paused]);
  }, 250);

  window.analyse = (samples, from) => {
    // played: forward steps no faster than 1.5x real time (seeks and jumps are not playback);
    // longest freeze: the longest time without any movement after the first forward step.
    let prev = null, lastMoveAt = null, longest = 0, played = 0;
    for (const [t, ct] of samples) {
      if (t < from) continue;
      if (prev && ct !== prev[1]) {
        const step = ct - prev[1];
        if (step > 0 && step <= ((t - prev[0]) / 1000) * 1.5 + 0.05) played += step;
        if (lastMoveAt !== null) longest = Math.max(longest, t - lastMoveAt - 250);
        lastMoveAt = t;
      }
      prev = [t, ct];
    }
    if (lastMoveAt !== null && prev) longest = Math.max(longest, prev[0] - lastMoveAt - 250);
    const firstMove = samples.find((x, i) => i > 0 && x[1] !== samples[i - 1][1] && x[1] > 0);
    return { advancedS: played, longestFreezeMs: Math.max(0, longest), samples: samples.length, firstMoveMs: firstMove ? firstMove[0] : null };
  };
`;

/**
 * Opens the viewer at `url`; `noWebRTC` deletes RTCPeerConnection before the app loads;
 * `mdnsHiding: false` makes Chromium show its real host addresses in ICE candidates instead of
 * `.local` names (on by default, as in every browser).
 */
export async function openViewer(url, { noWebRTC = false, name = 'viewer', mdnsHiding = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vb-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: false,
    args: mdnsHiding ? FLAGS : [...FLAGS, '--disable-features=WebRtcHideLocalIpsWithMdns'],
    viewport: { width: 480, height: 320 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const log = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.stack || e.message}`));
  if (noWebRTC) {
    await page.addInitScript('delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;');
  }
  await page.addInitScript(PROBE);
  const openedAt = Date.now();
  await page.goto(url);
  return {
    name,
    page,
    log,
    openedAt,
    /** The viewer's own figures (what it reports over signaling). */
    stats: () => page.evaluate(() => window.venuebox.stats()),
    errors: () => page.evaluate(() => window.venuebox.errors),
    currentTime: () => page.evaluate(() => document.querySelector('video').currentTime),
    /** Playhead analysis since `fromMs` (page clock): advance and the longest freeze. */
    playback: (fromMs = 0) => page.evaluate((from) => analyse(window.__probe.samples, from), fromMs).catch(() => null),
    now: () => page.evaluate(() => performance.now()),
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

