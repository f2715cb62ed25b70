// Swarm benchmark driver (scripts/bench/swarm.sh): the box in RTMP mode with ffmpeg as OBS, an
// audience (AUDIENCE=browsers:N | node:N | sim:N), optionally a fault (FAULT=obs-drop | garbage |
// churn | sigkill); samples /api/status and /proc/<pid> every second for SECS seconds, then prints
// the figures as a Markdown row and records them as JSON in $RESULTS_DIR.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBox, BOX, SIGNAL, TRACKER } from './box.mjs';
import { load } from './deps.mjs';
import { figures, row, HEADER, faultView } from './report.mjs';
import { runFault, garbageClients, churn } from './faults.mjs';

const [kind, count] = (process.env.AUDIENCE || 'sim:50').split(':');
const N = Number(count || 4);
const SECS = Number(process.env.SECS || 60);
const FAULT = process.env.FAULT || '';
const RESULTS = process.env.RESULTS_DIR || new URL('../../target/swarm-bench', import.meta.url).pathname;
const minus = (a, b = {}) => Object.fromEntries(Object.entries(a).map(([k, x]) => [k, x - (b[k] || 0)]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  throw new Error(`AUDIENCE must be sim:N, node:N or browsers:N, not ${kind}`);
}

const box = await startBox({ uplink: FAULT === 'r2-down' });
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    box.killNow(); // a stopped benchmark leaves no box, OBS or S3 stand-in behind
    process.exit(143);
  });
}
let audience = null;
let garbage = null;
let churner = null;
const stopSampling = { now: false };
try {
  console.error(`box up (pid ${box.pid}); starting audience ${kind}:${N}`);
  audience = await startAudience();
  if (audience.note) console.log(`note: ${audience.note}`);
  const warm = await warmUp(kind === 'sim' ? N : 0);
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
  await box.sample();
  const seederAtStart = box.seederUploaded();
  let fault = null;
  let before = null;
  if (['obs-drop', 'sigkill', 'r2-down'].includes(FAULT)) {
    await sleep(FAULT === 'r2-down' ? 30000 : SECS * 400);
    before = await audience.figures();
    console.error(`fault ${FAULT} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    fault = await runFault(FAULT, { box, audience, ctx, n: N });
  }
  await sleep(Math.max(0, t0 + SECS * 1000 - Date.now()));
  stopSampling.now = true;
  await sampler;
  const startById = new Map(atStart.map((v) => [v.id, v]));
  const viewers = (await audience.figures()).map((v) => ({ ...v, bytes: minus(v.bytes, startById.get(v.id)?.bytes) }));
  const secs = (Date.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const driverCpuPct = (100 * (cpu1.user + cpu1.system)) / 1e6 / secs;
  loopDelay.disable();
  const driverLagMs = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  const modelledSeederBytes = kind === 'sim' ? viewers.reduce((a, v) => a + v.bytes.seeder, 0) : 0;
  const f = figures({ first: samples[0], last: samples.at(-1), samples, viewers, secs, modelledSeederBytes, seederUploaded: box.seederUploaded() - seederAtStart });
  const last = box.lastStatus();
  const out = { date: new Date().toISOString(), audience: `${kind}:${N}`, fault: FAULT || null, secs, note: audience.note || null, figures: f, driverCpuPct, driverLagMs, uptime: readFileSync('/proc/loadavg', 'utf8').trim() };
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
  }
  console.log(`driver process (audience${kind === 'sim' ? ' simulation' : ' control'}) CPU: ${driverCpuPct.toFixed(0)} % of one core, event-loop delay p50 ${driverLagMs.p50.toFixed(0)} ms / p99 ${driverLagMs.p99.toFixed(0)} ms / max ${driverLagMs.max.toFixed(0)} ms; load average ${out.uptime}`);
  if (kind === 'sim') {
    const m = viewers.map((v) => v.maxTrackerPerS).sort((a, b) => a - b);
    const t = last?.tracker || {};
    out.trackerLimits = { viewerMaxMsgsPerS_p50: m[Math.floor(m.length / 2)], viewerMaxMsgsPerS_max: m.at(-1), rateLimited: t.rate_limited, floodCloses: t.flood_closes, socketsAccepted: t.sockets_accepted, resumes: viewers.reduce((a, v) => a + v.resumes, 0) };
    console.log(`tracker limits: ${JSON.stringify(out.trackerLimits)}`);
  }
  if (out.garbage) console.log(`garbage: ${JSON.stringify(out.garbage)}`);
  if (out.churn) console.log(`churn: ${out.churn.moved} viewers left and as many joined; joiners: ${JSON.stringify(out.churnJoiners)}`);
  if (out.uplink) console.log(`uplink: ${JSON.stringify(out.uplink)}`);
  console.log(`bytes: ${JSON.stringify(f.bytes)}; box egress ${(f.egressBytes / 1e6).toFixed(1)} MB at ${(f.bitrateBps / 1e6).toFixed(2)} Mbit/s; box's viewer aggregate: ${JSON.stringify(out.boxSignal)}`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${out.date.replace(/[:.]/g, '-')}-${kind}${N}${FAULT ? '-' + FAULT : ''}.json`);
  writeFileSync(file, JSON.stringify({ ...out, samples: samples.map((s) => ({ t: s.t, proc: s.proc, tracker: s.status?.tracker, http: s.status?.http, window: s.status?.window?.bytes })) }, null, 1));
  console.error(`recorded ${file}`);
} finally {
  stopSampling.now = true;
  garbage?.stop();
  churner?.stop();
  await audience?.close();
  await box.close();
}
process.exit(0);
