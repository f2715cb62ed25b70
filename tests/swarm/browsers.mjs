// Browser audience (AUDIENCE=browsers:N): Debian Chromium viewers through playwright-core, opened
// with tests/viewer/lib/browser.mjs (its flags and playhead probe), 5 s apart. With VB_GW_NS set
// (scripts/bench/swarm.sh) Chromium runs on the gateway side of the veth (chromium-gw.sh), as the
// engine audience does, so every byte the box sends to viewers crosses the veth and the box's
// counters can be checked against it. Segment -> playable is the time from the segment's
// signaling announcement (this module's own /signal socket) to hls.js's FRAG_BUFFERED event for
// it in the page. Every viewer's own figures come from `window.venuebox.stats()` (bytes by
// source, stalls, latency behind live, RTCPeerConnections created, links); the page's HTTP
// responses (body + headers) and WebSocket frames are counted from outside through playwright,
// to account for the veth's bytes.
import { createRequire } from 'node:module';
import { openViewer } from '../viewer/lib/browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const here = new URL('.', import.meta.url).pathname;

/** Patches the launcher of the playwright-core instance browser.mjs uses: with `onGateway`,
 * Chromium is chromium-gw.sh (browser.mjs names /usr/bin/chromium); either way the page's traffic
 * counters are attached before browser.mjs navigates (its first sockets open on load). */
function patchLauncher(onGateway) {
  const req = createRequire(new URL('../viewer/lib/browser.mjs', import.meta.url));
  const { chromium } = req('playwright-core');
  if (chromium.__vbPatched) return;
  const launch = chromium.launchPersistentContext.bind(chromium);
  chromium.launchPersistentContext = async (dir, opts) => {
    const context = await launch(dir, onGateway ? { ...opts, executablePath: `${here}chromium-gw.sh` } : opts);
    const attach = (page) => {
      page.__vbTraffic ??= countTraffic(page);
    };
    context.pages().forEach(attach);
    context.on('page', attach);
    return context;
  };
  chromium.__vbPatched = true;
}

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

/** Counts the page's traffic from outside: HTTP responses by kind (body + headers, as the
 * browser saw them) and WebSocket frames received, signaling apart from the tracker. */
function countTraffic(page) {
  const t = { segments: 0, playlists: 0, otherHttp: 0, requests: 0, signal: 0, tracker: 0, signalOpens: 0, refused: 0, refusedText: null };
  page.on('requestfinished', async (r) => {
    const s = await r.sizes().catch(() => null);
    if (!s) return;
    const n = s.responseBodySize + s.responseHeadersSize;
    const path = new URL(r.url()).pathname;
    t.requests++;
    if (/\.m3u8$/.test(path)) t.playlists += n;
    else if (/\.(ts|m4s|mp4|aac)$/.test(path)) t.segments += n;
    else t.otherHttp += n;
  });
  page.on('websocket', (ws) => {
    const sig = /\/signal/.test(ws.url());
    if (sig) t.signalOpens++;
    ws.on('framereceived', (f) => {
      const n = typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length;
      t[sig ? 'signal' : 'tracker'] += n;
    });
  });
  page.on('console', (m) => {
    const text = m.text();
    if (!text.startsWith('signaling refused a message')) return;
    t.refused++;
    t.refusedText = text.slice(0, 200);
  });
  return t;
}

/** In the page: the longest playhead freeze that began at or after wall-clock `fromWall`, from the
 * probe's samples (browser.mjs), and when the playhead moved again after it (wall clock). */
const FREEZE = (fromWall) => {
  const from = fromWall - performance.timeOrigin;
  const s = (window.__probe?.samples || []).filter(([t]) => t >= from - 500);
  let lastMoveAt = s.length ? s[0][0] : null;
  let longest = 0;
  let resumedAt = null;
  for (let i = 1; i < s.length; i++) {
    if (s[i][1] === s[i - 1][1]) continue;
    const gap = s[i][0] - lastMoveAt;
    if (gap > longest) {
      longest = gap;
      resumedAt = s[i][0];
    }
    lastMoveAt = s[i][0];
  }
  const now = performance.now();
  const stuck = lastMoveAt !== null && now - lastMoveAt > longest ? now - lastMoveAt : 0;
  return {
    longestFreezeS: Math.max(longest, stuck) / 1000,
    // null: still frozen, or it never froze for 1 s (kept playing)
    resumedAtWall: stuck || longest < 1000 || resumedAt === null ? null : resumedAt + performance.timeOrigin,
    stillFrozen: stuck > 1000,
  };
};

export async function startBrowsers(n, ctx) {
  const onGateway = !!process.env.VB_GW_NS;
  patchLauncher(onGateway);
  const sig = watchSignal(ctx);
  const url = `${ctx.boxUrl}/?signal=${encodeURIComponent(ctx.signalUrl)}`;
  const viewers = [];
  let next = 0;
  let fault = null;
  const join = async (k) => {
    for (let i = 0; i < k; i++) {
      const v = await openViewer(url, { name: `b${++next}` });
      v.traffic = v.page.__vbTraffic ?? countTraffic(v.page);
      v.latencyAt = []; // [wall ms, seconds behind live]
      await v.page.evaluate(HOOK).catch(() => {});
      v.page.on('load', () => v.page.evaluate(HOOK).catch(() => {}));
      viewers.push(v);
      await sleep(5000);
    }
  };
  await join(n);
  // Latency behind live, every 5 s per viewer (the span rows take the median of these).
  let sampling = true;
  const latencySampler = (async () => {
    while (sampling) {
      for (const v of viewers.filter((x) => !x.closedAt)) {
        const s = await v.stats().catch(() => null);
        if (s?.latencyS !== null && s?.latencyS !== undefined) v.latencyAt.push([Date.now(), s.latencyS]);
      }
      await sleep(5000);
    }
  })();
  const figuresOf = async (v) => {
    const now = Date.now();
    const s = await v.stats().catch(() => null);
    const buffered = await v.page.evaluate(() => window.__buffered || []).catch(() => []);
    const playable = [];
    const playableAt = [];
    const completedAt = [];
    for (const [name, at] of buffered) {
      completedAt.push(at);
      const a = sig.announced.get(name);
      if (a !== undefined && at >= a) {
        playable.push(at - a);
        playableAt.push([at, at - a]);
      }
    }
    const startupS = s?.startupS ?? null;
    const pb = await v.playback();
    const sinceFault = fault ? await v.page.evaluate(FREEZE, fault.startAt).catch(() => null) : null;
    const m = s?.mesh;
    return {
      id: v.name,
      kind: 'browser',
      joinedAt: v.openedAt,
      leftAt: v.closedAt || null,
      bytes: s ? { peer: s.peerBytes, seeder: s.seederBytes, http: s.boxBytes, r2: s.r2Bytes } : { peer: 0, seeder: 0, http: 0, r2: 0 },
      mode: s?.mode ?? null,
      startupS,
      stallS: s?.stallS ?? 0,
      stalls: s?.stalls ?? 0,
      latencyS: s?.latencyS ?? null,
      latencyAt: [...v.latencyAt],
      watchedS: v.closedAt ? v.watchedS : Math.max(0, (now - v.openedAt) / 1000 - (startupS ?? 0)),
      playable,
      playableAt,
      completedAt,
      longestFreezeS: pb ? pb.longestFreezeMs / 1000 : null, // the page probe's playhead, from outside the app
      // engineSpan's names: page-counted RTCPeerConnections, links to other viewers open now.
      engine: s ? { pcCreated: s.peerConnectionsCreated, pcOpen: s.peerConnectionsOpen, linksOpen: Math.max(0, (s.peers || 0) - (s.boxLinks || 0)), boxLinks: s.boxLinks || 0,
        linksOpened: m?.linksOpened ?? null, linksClosed: m?.linksClosed ?? null, tries: m?.tries ?? null, hashFailures: m?.hashFailures ?? 0, httpErrors: m?.httpErrors ?? 0, duplicateBytes: m?.duplicateBytes ?? 0 } : null,
      sigBytes: v.traffic.signal,
      trackerBytes: v.traffic.tracker,
      httpWire: { segments: v.traffic.segments, playlists: v.traffic.playlists, other: v.traffic.otherHttp },
      httpRequests: v.traffic.requests,
      signalOpens: v.traffic.signalOpens,
      refused: v.traffic.refused,
      refusedText: v.traffic.refusedText,
      sinceFault,
      left: !!v.closedAt,
    };
  };
  const last = new Map(); // figures of viewers that left, kept for the report
  return {
    kind: `browsers:${n}`,
    note: `Debian Chromium viewers (playwright-core), the real viewer app and WebRTC, ${onGateway ? 'on the gateway side of the veth (198.18.0.2): the box egress to them crosses it' : "in the box's namespace: no veth figure"}`,
    onGateway,
    /** The fault that just ran: figures then include each viewer's playhead freeze since its start. */
    noteFault(f) {
      fault = f;
    },
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
      sampling = false;
      await latencySampler;
      sig.close();
      await Promise.all(viewers.filter((v) => !v.closedAt).map((v) => v.close()));
    },
  };
}
