// Swarm benchmark driver (scripts/bench/swarm.sh): the box in RTMP mode with ffmpeg as OBS, an
// audience (AUDIENCE=browsers:N | node:N | sim:N | engine:N), optionally a fault (FAULT=obs-drop | garbage |
// churn | sigkill); samples /api/status and /proc/<pid> every second for SECS seconds, then prints
// the figures as a Markdown row and records them as JSON in $RESULTS_DIR. A prober in a process
// of its own (prober.mjs) times /healthz, the playlist and /api/status throughout.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBox, BOX, SIGNAL, TRACKER } from './box.mjs';
import { load } from './deps.mjs';
import { figures, row, HEADER, faultView, engineSpan, engineRow, ENGINE_HEADER, BROWSER_HEADER, browserRow, browserViewers, BROWSER_VIEWER_HEADER, browserViewerRow } from './report.mjs';
import { runFault, garbageClients, churn } from './faults.mjs';
import { startProber, probeLine } from './probe.mjs';

const [kind, count] = (process.env.AUDIENCE || 'sim:50').split(':');
const N = Number(count || 4);
const SECS = Number(process.env.SECS || 60);
const FAULT = process.env.FAULT || '';
const RESULTS = process.env.RESULTS_DIR || new URL('../../target/swarm-bench', import.meta.url).pathname;
const minus = (a, b = {}) => Object.fromEntries(Object.entries(a).map(([k, x]) => [k, x - (b[k] || 0)]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const f1x = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
const ok = (b) => (b ? 'yes' : 'NO');
// The engine audience's stream is 500 kbit/s unless told (issue 15: engine:100 on 2 cores).
const STREAM_KBPS = Number(process.env.STREAM_KBPS || (kind === 'engine' ? 500 : 0));

const { WebSocket } = await load('ws').then((m) => ({ WebSocket: m.WebSocket || m }));
const ctx = { WebSocket, signalUrl: SIGNAL, trackerUrl: TRACKER, boxUrl: BOX };

/** Waits until `n` tracker sockets are open (at most WARMUP_MAX_S, default 180 s), then
 * WARMUP_S more (default 10 s) so every viewer has joined a few segments' swarms. */
async function warmUp(n) {
  const t = Date.now();
  const max = Number(process.env.WARMUP_MAX_S || 180) * 1000;
  let connected = 0;
  while (n > 0 && Date.now() - t < max) {
    connected = (await box.sample()).status?.tracker?.connections ?? 0;
    if (connected >= n) break;
    await sleep(1000);
  }
  await sleep(Number(process.env.WARMUP_S || 10) * 1000);
  connected = (await box.sample()).status?.tracker?.connections ?? 0;
  return { connected, secs: (Date.now() - t) / 1000 };
}

async function startAudience() {
  if (kind === 'sim') return (await import('./sim.mjs')).startSim(N, ctx);
  if (kind === 'node') return (await import('./node.mjs')).startNode(N, ctx);
  if (kind === 'browsers') return (await import('./browsers.mjs')).startBrowsers(N, ctx);
  if (kind === 'engine') return (await import('./engines.mjs')).startEngines(N, ctx);
  throw new Error(`AUDIENCE must be sim:N, node:N, browsers:N or engine:N, not ${kind}`);
}

const box = await startBox({ uplink: FAULT === 'r2-down', streamKbps: STREAM_KBPS });
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    box.killNow(); // a stopped benchmark leaves no box, OBS or S3 stand-in behind
    process.exit(143);
  });
}
const prober = startProber(BOX);
let audience = null;
let garbage = null;
let churner = null;
const stopSampling = { now: false };
try {
  console.error(`box up (pid ${box.pid}); starting audience ${kind}:${N}`);
  audience = await startAudience();
  if (audience.note) console.log(`note: ${audience.note}`);
  const warm = await warmUp(kind === 'sim' || kind === 'engine' ? N : 0);
  console.log(`warm-up: ${warm.connected} tracker sockets open after ${warm.secs.toFixed(1)} s; measuring from here`);
  if (FAULT === 'garbage') garbage = garbageClients(Math.round(N / 9), ctx); // 10 % of all clients
  if (FAULT === 'churn') churner = churn(audience, N);
  const samples = [];
  const sampler = (async () => {
    while (!stopSampling.now) {
      samples.push(await box.sample());
      await sleep(1000);
    }
  })();
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  // The simulator's own lag: timers and messages of simulated viewers wait this long.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const atStart = await audience.figures(); // bytes count from here
  prober.mark();
  audience.mark?.();
  // Engines and browsers: a snapshot of the viewers' figures a minute apart on long runs (one row per minute).
  const snapshots = [{ t: t0, viewers: atStart }]; // the same span as the row's figures
  const minutes = (async () => {
    if (!['engine', 'browsers'].includes(kind) || SECS <= 120) return;
    for (let k = 1; t0 + k * 60000 <= t0 + SECS * 1000 - 5000; k++) {
      await sleep(Math.max(0, t0 + k * 60000 - Date.now()));
      if (stopSampling.now) return;
      snapshots.push({ t: Date.now(), viewers: await audience.figures() });
    }
  })();
  await box.sample();
  const seederAtStart = box.seederUploaded();
  let fault = null;
  let before = null;
  if (['obs-drop', 'sigkill', 'r2-down'].includes(FAULT)) {
    await sleep(FAULT === 'r2-down' ? 30000 : SECS * 400);
    before = await audience.figures();
    console.error(`fault ${FAULT} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    fault = await runFault(FAULT, { box, audience, ctx, n: N });
    audience.noteFault?.(fault);
  }
  await sleep(Math.max(0, t0 + SECS * 1000 - Date.now()));
  stopSampling.now = true;
  await sampler;
  await minutes;
  const startById = new Map(atStart.map((v) => [v.id, v]));
  const tEnd = Date.now();
  const rawViewers = await audience.figures();
  // Engines: only segments that became playable in the measured period count.
  const measured = (v) => (v.playableAt ? { ...v, playable: v.playableAt.filter(([at]) => at >= t0).map(([, ms]) => ms) } : v);
  const viewers = rawViewers.map((v) => ({ ...measured(v), bytes: minus(v.bytes, startById.get(v.id)?.bytes) }));
  const secs = (Date.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const driverCpuPct = (100 * (cpu1.user + cpu1.system)) / 1e6 / secs;
  loopDelay.disable();
  const driverLagMs = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  const modelledSeederBytes = kind === 'sim' ? viewers.reduce((a, v) => a + v.bytes.seeder, 0) : 0;
  const f = figures({ first: samples[0], last: samples.at(-1), samples, viewers, secs, modelledSeederBytes, seederUploaded: box.seederUploaded() - seederAtStart });
  const last = box.lastStatus();
  const probe = await prober.stop();
  const out = { probe, date: new Date().toISOString(), audience: `${kind}:${N}`, fault: FAULT || null, secs, note: audience.note || null, figures: f, driverCpuPct, driverLagMs, uptime: readFileSync('/proc/loadavg', 'utf8').trim() };
  if (fault) out.faultView = faultView(fault, before, viewers);
  if (garbage) out.garbage = { clients: Math.round(N / 9), ...garbage.sent, trackerSocketErrors: last?.tracker?.socket_errors, trackerFailures: last?.tracker?.failures, signalRejected: last?.signal?.rejected_messages_total, signalClosedAbuse: last?.signal?.closed_abuse_total };
  if (churner) out.churn = { moved: churner.moved() };
  out.boxSignal = last?.signal?.viewers;
  if (FAULT === 'r2-down') {
    const lag = samples.filter((x) => x.status?.uplink).map((x) => x.status.uplink.lag_secs || 0);
    const u = last?.uplink || {};
    const lagBefore = samples.filter((x) => x.status?.uplink && x.t < (fault?.startAt ?? 0)).map((x) => x.status.uplink.lag_secs || 0);
    out.uplink = { lagBeforeMaxS: Math.max(0, ...lagBefore), maxLagS: Math.max(0, ...lag), lagAtEndS: u.lag_secs, failures: u.failures, skipped: u.segments_skipped, objects: u.objects_uploaded };
  }
  if (FAULT === 'churn') {
    const joined = viewers.filter((v) => !startById.has(v.id) && v.startupS !== null).map((v) => v.startupS).sort((a, b) => a - b);
    out.churnJoiners = { started: joined.length, startupP50S: joined[Math.floor(joined.length / 2)], startupMaxS: joined.at(-1) };
  }
  console.log(HEADER);
  console.log(row(`${kind}:${N}`, FAULT, Math.round(secs), f));
  if (out.faultView) {
    const v = out.faultView;
    console.log(`fault ${v.name}: ${v.detail}; ${v.stalledViewers}/${v.viewers} viewers stalled, ${v.stallS.toFixed(1)} s of stall in all; ${v.resumed} resumed, next segment ${v.recoverP50S?.toFixed(2)} s (median) / ${v.recoverMaxS?.toFixed(2)} s (max) after the fault ended${v.longestFreezeMaxS !== null ? `; longest playhead freeze (page probe) ${v.longestFreezeMaxS.toFixed(2)} s` : ''}`);
    if (v.perViewer?.length) {
      console.log(`fault ${v.name}, what the viewers saw (from the fault's start; it lasted ${((v.endAt - v.startAt) / 1000).toFixed(1)} s): playing again after ${v.playingAgainP50S?.toFixed(1) ?? '-'} s (median) / ${v.playingAgainMaxS?.toFixed(1) ?? '-'} s (max)`);
      console.log('| viewer | stall s (page) | longest playhead freeze | playing again after | signaling reconnects | viewer links before -> now (links opened since) | PCs created since |\n| --- | --- | --- | --- | --- | --- | --- |');
      for (const p of v.perViewer) console.log(`| ${p.id} | ${p.stallS.toFixed(1)} | ${p.freezeS.toFixed(1)} s${p.stillFrozen ? ' (still frozen)' : ''} | ${p.playingAgainS === null ? 'not yet' : p.playingAgainS === 0 ? 'kept playing' : `${p.playingAgainS.toFixed(1)} s`} | ${p.signalReconnects} | ${p.linksBefore ?? '-'} -> ${p.linksNow ?? '-'} (${p.linksOpenedAfter ?? '-'}${p.meshRestarted ? ', new mesh session' : ''}) | ${p.pcsAfter} |`);
    }
  }
  console.log(`driver process (audience${kind === 'sim' ? ' simulation' : ' control'}) CPU: ${driverCpuPct.toFixed(0)} % of one core, event-loop delay p50 ${driverLagMs.p50.toFixed(0)} ms / p99 ${driverLagMs.p99.toFixed(0)} ms / max ${driverLagMs.max.toFixed(0)} ms; load average ${out.uptime}`);
  if (kind === 'sim') {
    const m = viewers.map((v) => v.maxTrackerPerS).sort((a, b) => a - b);
    const t = last?.tracker || {};
    out.trackerLimits = { viewerMaxMsgsPerS_p50: m[Math.floor(m.length / 2)], viewerMaxMsgsPerS_max: m.at(-1), rateLimited: t.rate_limited, floodCloses: t.flood_closes, socketsAccepted: t.sockets_accepted, resumes: viewers.reduce((a, v) => a + v.resumes, 0) };
    console.log(`tracker limits: ${JSON.stringify(out.trackerLimits)}`);
  }
  if (out.garbage) console.log(`garbage: ${JSON.stringify(out.garbage)}`);
  console.log(`HTTP probes in the measured period (separate process, fresh connection each, 200 ms apart, 2 s timeout): ${probeLine(probe)}`);
  if (out.churn) console.log(`churn: ${out.churn.moved} viewers left and as many joined; joiners: ${JSON.stringify(out.churnJoiners)}`);
  if (out.uplink) console.log(`uplink: ${JSON.stringify(out.uplink)}`);
  if (kind === 'engine') {
    snapshots.push({ t: tEnd, viewers: rawViewers });
    const span = (a, b) => engineSpan({ a: a.viewers, b: b.viewers, ta: a.t, tb: b.t, samples, bitrateBps: f.bitrateBps });
    const whole = span(snapshots[0], snapshots.at(-1));
    const perMinute = snapshots.length > 2 ? snapshots.slice(1).map((s, i) => span(snapshots[i], s)) : [];
    const v = rawViewers.filter((x) => !x.left);
    const sum = (g) => v.reduce((a, x) => a + (g(x) || 0), 0);
    const sessionMin = v.reduce((a, x) => a + (tEnd - x.joinedAt) / 60000, 0);
    out.engine = {
      streamKbps: STREAM_KBPS, rates: box.rates, whole, perMinute, procs: audience.procs(),
      swarmFromHello: v.filter((x) => x.swarmFromHello).length,
      pcPerViewerMinSession: sessionMin ? sum((x) => x.engine?.pcCreated) / sessionMin : null,
      counters: { hashFailures: sum((x) => x.engine?.hashFailures), httpErrors: sum((x) => x.engine?.httpErrors), duplicateBytes: sum((x) => x.engine?.duplicateBytes),
        uploadBytes: sum((x) => x.engine?.uploadBytes), pushedBlocks: sum((x) => x.engine?.pushedBlocks), boxLinks: sum((x) => x.engine?.boxLinks),
        httpRaw: sum((x) => x.httpRaw), httpWhole: sum((x) => x.httpWhole), getSegmentErrors: sum((x) => x.errors?.getSegment), warnings: sum((x) => x.errors?.warnings),
        signalErrors: sum((x) => x.errors?.signal), resumes: sum((x) => x.resumes) },
      perEngine: rawViewers.map((x) => ({ id: x.id, startupS: x.startupS, stalls: x.stalls, links: x.engine?.linksOpen, pcs: x.engine?.pcCreated })),
    };
    const e = whole.egress;
    console.log(`engine:${N} at ${STREAM_KBPS} kbit/s (video ${box.rates.video} + audio ${box.rates.audio}); swarm ${out.engine.swarmFromHello ? `from the hello for ${out.engine.swarmFromHello}/${v.length}` : 'from MESH_INFO_HASH / sha1(venuebox-live-v1:bench): the hello carries no swarm, the box is no mesh member'}`);
    console.log(ENGINE_HEADER);
    console.log(engineRow(`${Math.round(whole.secs)} s`, whole));
    perMinute.forEach((m, i) => console.log(engineRow(`minute ${i + 1}`, m)));
    console.log(`box egress: counters ${(e.counters / 1e6).toFixed(2)} MB (HTTP ${(e.http / 1e6).toFixed(2)}, per-segment seeder ${(e.seederSegments / 1e6).toFixed(2)}, mesh ${(e.mesh / 1e6).toFixed(2)}), veth ${e.veth === null ? 'n/a (no VB_VETH, or engines in the box namespace)' : `${(e.veth / 1e6).toFixed(2)} MB (veth / counters ${(e.veth / e.counters).toFixed(2)}); the veth also carries signaling (${(e.signaling / 1e6).toFixed(2)} MB received by the engines), tracker messages, HTTP headers of ${e.httpRequests} Range responses, TCP/IP and WebRTC framing`}`);
    console.log(`startup p50 ${f.startupP50S?.toFixed(2)} s / max ${f.startupMaxS?.toFixed(2)} s (${f.started}/${rawViewers.length} started); stalls ${whole.stalls} on ${whole.stalledViewers} viewers, ${whole.stallS.toFixed(1)} s; peer connections ${whole.pcPerViewerMin?.toFixed(2)} per viewer-minute measured, ${out.engine.pcPerViewerMinSession?.toFixed(2)} over whole sessions`);
    console.log(`engine counters: ${JSON.stringify(out.engine.counters)}`);
    console.log(`engine processes: ${out.engine.procs.map((p) => (p.inDriver ? 'in the driver' : `pid ${p.pid} CPU ${p.cpuPct.toFixed(0)} %, loop delay p50 ${p.lagP50Ms.toFixed(0)} / p99 ${p.lagP99Ms.toFixed(0)} / max ${p.lagMaxMs.toFixed(0)} ms, RSS ${p.rssMB.toFixed(0)} MB`)).join('; ')}`);
    for (const p of out.engine.procs) if (p.warnings && Object.keys(p.warnings).length) console.log(`engine warnings (pid ${p.pid}): ${JSON.stringify(p.warnings)}`);
  }
  if (kind === 'browsers') {
    snapshots.push({ t: tEnd, viewers: rawViewers });
    const span = (a, b) => engineSpan({ a: a.viewers, b: b.viewers, ta: a.t, tb: b.t, samples, bitrateBps: f.bitrateBps });
    const whole = span(snapshots[0], snapshots.at(-1));
    const perMinute = snapshots.length > 2 ? snapshots.slice(1).map((s, i) => span(snapshots[i], s)) : [];
    const pv = browserViewers(atStart, rawViewers, t0, tEnd);
    // Summed over samples: a restarted box (FAULT=sigkill) counts from zero again.
    const sigDelta = (k) => samples.reduce((a, x, i) => (i && x.status && samples[i - 1].status ? a + Math.max(0, (x.status.signal?.[k] || 0) - (samples[i - 1].status.signal?.[k] || 0)) : a), 0);
    const refused = rawViewers.reduce((a, v) => a + (v.refused || 0), 0);
    out.browsers = { onGateway: !!audience.onGateway, whole, perMinute, perViewer: pv,
      signalRejectedInRun: sigDelta('rejected_messages_total'), signalClosedAbuseInRun: sigDelta('closed_abuse_total'),
      pageRefused: refused, pageRefusedText: rawViewers.find((v) => v.refusedText)?.refusedText || null,
      viewers: rawViewers.map(({ playable, playableAt, completedAt, latencyAt, ...v }) => v) };
    console.log(BROWSER_HEADER);
    console.log(browserRow(`${Math.round(whole.secs)} s`, whole));
    perMinute.forEach((m, i) => console.log(browserRow(`minute ${i + 1}${m.secs < 55 ? ` (${Math.round(m.secs)} s)` : ''}`, m)));
    console.log(BROWSER_VIEWER_HEADER);
    pv.rows.forEach((r) => console.log(browserViewerRow(r)));
    console.log(browserViewerRow(pv.median));
    const e = whole.egress;
    const mb = (x) => (x / 1e6).toFixed(2);
    const rate = (x) => `${((x * 8) / whole.secs / 1e6).toFixed(2)} Mbit/s`;
    console.log(`box egress by its counters: ${mb(e.counters)} MB, ${rate(e.counters)} (HTTP segment bodies ${mb(e.http)}, per-segment seeder ${mb(e.seederSegments)}, live-mesh seeder frames ${mb(e.mesh)}); stream ${((f.bitrateBps || 0) / 1e6).toFixed(2)} Mbit/s`);
    if (e.veth === null) {
      console.log("box egress on the veth: n/a (no VB_VETH: the browsers share the box's namespace, nothing they get crosses the veth)");
    } else {
      const httpHeaders = Math.max(0, e.wire.segments - e.http);
      // Per packet: Ethernet 14 + IPv4 20 + TCP 32 (timestamps) or UDP 8; a data-channel packet
      // of the box seeder (webrtc-rs: SCTP packets of at most 1228 B, so at most 1200 B of user
      // data) also carries DTLS (13 header + 8 nonce + 16 tag, AES-GCM) and SCTP (12 common
      // header + 16 DATA chunk header): 107 B in all, on at least mesh bytes / 1200 packets. The
      // veth counts TCP before segmentation (GSO), so the TCP packets' headers are undercounted.
      const meanPacket = e.vethPackets ? e.veth / e.vethPackets : 0;
      const dcPackets = Math.min(e.vethPackets, Math.ceil(e.mesh / 1200));
      const headers = dcPackets * 107 + (e.vethPackets - dcPackets) * 66;
      const rest = e.veth - e.counters - e.wire.playlists - e.wire.other - e.signaling - e.wire.tracker - httpHeaders - headers;
      console.log(`box egress on the veth (box side, tx): ${mb(e.veth)} MB, ${rate(e.veth)}, ${e.vethPackets} packets of ${meanPacket.toFixed(0)} B on average; veth / counters ${(e.veth / e.counters).toFixed(3)}`);
      console.log(`  the gap ${mb(e.veth - e.counters)} MB (${(((e.veth - e.counters) / e.counters) * 100).toFixed(1)} % of the counters): playlists ${mb(e.wire.playlists)} MB, HTTP response headers ${mb(httpHeaders)} MB and other HTTP ${mb(e.wire.other)} MB (${e.httpRequests} requests), signaling frames ${mb(e.signaling)} MB, tracker frames ${mb(e.wire.tracker)} MB (all as the pages counted them); packet framing ~${mb(headers)} MB (>= ${dcPackets} data-channel packets x 107 B: Ethernet/IP/UDP + DTLS + SCTP; ${e.vethPackets - dcPackets} others x 66 B: Ethernet/IP/TCP, counted before GSO segmentation); left unexplained ${mb(rest)} MB (${((rest / e.counters) * 100).toFixed(1)} %: data-channel packets below 1200 B, SCTP SACKs and retransmissions, STUN consent checks, TCP headers hidden by GSO, WebSocket framing)`);
    }
    const med = pv.median;
    if (!FAULT) console.log(`issue 15 checks (${kind}:${N}, ${Math.round(secs)} s measured): box egress on the veth ${f1x(whole.vethOverBitrate)}x the bitrate (<= 1.2x: ${ok(whole.vethOverBitrate !== null && whole.vethOverBitrate <= 1.2)}); stalls after start ${whole.stalls} (none: ${ok(whole.stalls === 0)}); start max ${f1x(f.startupMaxS)} s (<= 2 s: ${ok(f.startupMaxS !== null && f.startupMaxS <= 2)}); median latency behind live ${f1x(med.latencyP50S)} s (<= 7 s: ${ok(med.latencyP50S !== null && med.latencyP50S <= 7)}); RTCPeerConnections created ${f1x(whole.pcPerViewerMin)} per viewer-minute (<= 2: ${ok(whole.pcPerViewerMin !== null && whole.pcPerViewerMin <= 2)})`);
    const agg = out.boxSignal || {};
    console.log(`box's viewer aggregate: reporting ${agg.reporting ?? '-'} of ${agg.viewers ?? '-'} viewers; signaling messages the box rejected in the run ${out.browsers.signalRejectedInRun}, connections it closed for abuse ${out.browsers.signalClosedAbuseInRun}; the pages logged ${refused} refusals${out.browsers.pageRefusedText ? ` (${out.browsers.pageRefusedText})` : ''}`);
    if (out.browsers.signalRejectedInRun > 0 && !agg.reporting) console.log("  -> the box refuses the page's stats reports: its ViewerStats does not know a field the page sends (BOX_BIN older than viewer/src/signal-msg.js?), and after repeated refusals it closes the viewer's signaling connection");
  }
  console.log(`bytes: ${JSON.stringify(f.bytes)}; box egress ${(f.egressBytes / 1e6).toFixed(1)} MB at ${(f.bitrateBps / 1e6).toFixed(2)} Mbit/s; box's viewer aggregate: ${JSON.stringify(out.boxSignal)}`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${out.date.replace(/[:.]/g, '-')}-${kind}${N}${FAULT ? '-' + FAULT : ''}.json`);
  writeFileSync(file, JSON.stringify({ ...out, samples: samples.map((s) => ({ t: s.t, proc: s.proc, tracker: s.status?.tracker, http: s.status?.http, window: s.status?.window?.bytes, veth: s.veth, mesh: s.status?.seeder?.mesh, signal: s.status?.signal })) }, null, 1));
  console.error(`recorded ${file}`);
} finally {
  stopSampling.now = true;
  prober.stop();
  garbage?.stop();
  churner?.stop();
  await audience?.close();
  await box.close();
}
process.exit(0);
