// Browser audience (AUDIENCE=browsers:N): Debian Chromium viewers through playwright-core, opened
// with tests/viewer/lib/browser.mjs (its flags and playhead probe), 5 s apart. Segment ->
// playable is the time from the segment's signaling announcement (this module's own /signal
// socket) to hls.js's FRAG_BUFFERED event for it in the page.
import { openViewer } from '../viewer/lib/browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Hooks every hls.js instance the viewer makes; records [fragment name, wall clock] when buffered.
const HOOK = `(() => {
  if (window.__buffered) return;
  window.__buffered = [];
  const seen = new WeakSet();
  setInterval(() => {
    const hls = window.venuebox && window.venuebox.hls;
    if (!hls || seen.has(hls)) return;
    seen.add(hls);
    hls.on('hlsFragBuffered', (_e, d) => window.__buffered.push([String(d.frag.relurl || d.frag.url).split('/').pop(), Date.now()]));
  }, 100);
})()`;

/** Records when each segment was announced over signaling (name -> ms). */
function watchSignal(ctx) {
  const announced = new Map();
  let ws = null;
  let closed = false;
  const open = () => {
    ws = new ctx.WebSocket(ctx.signalUrl);
    ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'segment') announced.set(m.name, Date.now());
    });
    ws.on('error', () => {});
    ws.on('close', () => !closed && setTimeout(open, 1000));
  };
  open();
  return { announced, close: () => { closed = true; ws.terminate(); } };
}

export async function startBrowsers(n, ctx) {
  const sig = watchSignal(ctx);
  const url = `${ctx.boxUrl}/?signal=${encodeURIComponent(ctx.signalUrl)}`;
  const viewers = [];
  let next = 0;
  const join = async (k) => {
    for (let i = 0; i < k; i++) {
      const v = await openViewer(url, { name: `b${++next}` });
      await v.page.evaluate(HOOK).catch(() => {});
      v.page.on('load', () => v.page.evaluate(HOOK).catch(() => {}));
      viewers.push(v);
      await sleep(5000);
    }
  };
  await join(n);
  const figuresOf = async (v) => {
    const now = Date.now();
    const s = await v.stats().catch(() => null);
    const buffered = await v.page.evaluate(() => window.__buffered || []).catch(() => []);
    const playable = [];
    const completedAt = [];
    for (const [name, at] of buffered) {
      completedAt.push(at);
      const a = sig.announced.get(name);
      if (a !== undefined && at >= a) playable.push(at - a);
    }
    const startupS = s?.startupS ?? null;
    const pb = await v.playback();
    return {
      id: v.name,
      kind: 'browser',
      bytes: s ? { peer: s.peerBytes, seeder: s.seederBytes, http: s.boxBytes + s.r2Bytes } : { peer: 0, seeder: 0, http: 0 },
      startupS,
      stallS: s?.stallS ?? 0,
      stalls: s?.stalls ?? 0,
      watchedS: v.closedAt ? v.watchedS : Math.max(0, (now - v.openedAt) / 1000 - (startupS ?? 0)),
      playable,
      completedAt,
      longestFreezeS: pb ? pb.longestFreezeMs / 1000 : null, // the page probe's playhead, from outside the app
      left: !!v.closedAt,
    };
  };
  const last = new Map(); // figures of viewers that left, kept for the report
  return {
    kind: `browsers:${n}`,
    note: 'Debian Chromium viewers (playwright-core), the real viewer app and WebRTC',
    async leave(k) {
      for (const v of viewers.filter((x) => !x.closedAt).slice(0, k)) {
        last.set(v.name, await figuresOf(v));
        v.closedAt = Date.now();
        await v.close();
      }
    },
    join,
    async figures() {
      return Promise.all(viewers.map((v) => (v.closedAt ? last.get(v.name) : figuresOf(v))));
    },
    async close() {
      sig.close();
      await Promise.all(viewers.filter((v) => !v.closedAt).map((v) => v.close()));
    },
  };
}
