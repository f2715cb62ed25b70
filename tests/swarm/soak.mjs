// Hour-long soak (scripts/bench/soak.sh): the box in RTMP mode with ffmpeg as OBS, BROWSERS
// Chromium viewers on the gateway side of the veth (default 2) and SIMS simulated viewers
// (default 300) of which 1 % leave and as many join every 6 s (10 %/min), OBS dropped for 10 s
// every DROP_EVERY_S (default 900 s). Samples the box every SAMPLE_S and prints one row per
// BUCKET_S (default 600 s): service RSS, open fds, tasks, CPU, window bytes, stalls and P2P
// share, then the maxima against the image unit's LimitNOFILE / MemoryMax / TasksMax.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBox, BOX, SIGNAL, TRACKER } from './box.mjs';
import { load } from './deps.mjs';
import { churn } from './faults.mjs';
import { cpuSeconds } from './report.mjs';

const env = (name, dflt) => Number(process.env[name] || dflt);
const SOAK_S = env('SOAK_S', 3600);
const BUCKET_S = env('BUCKET_S', 600);
const SAMPLE_S = env('SAMPLE_S', 5);
const DROP_EVERY_S = env('DROP_EVERY_S', 900);
const DROP_S = env('DROP_S', 10);
const SIMS = env('SIMS', 300);
const BROWSERS = env('BROWSERS', 2);
const RESULTS = process.env.RESULTS_DIR || new URL('../../target/swarm-bench', import.meta.url).pathname;
const UNIT = new URL('../../buildroot-config/rootfs-overlay/usr/lib/systemd/system/venuebox.service', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const MB = 2 ** 20;

/** The unit's limits: LimitNOFILE, MemoryMax (bytes), TasksMax; null where it sets none. */
export function unitLimits(text) {
  const get = (k) => new RegExp(`^${k}=(\\S+)`, 'm').exec(text)?.[1] ?? null;
  const bytes = (v) => {
    const m = v && /^(\d+)([KMGT]?)$/.exec(v);
    return m ? Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2] || ' ') : null;
  };
  const num = (v) => (v && /^\d+$/.test(v) ? Number(v) : null);
  return { nofile: num(get('LimitNOFILE')), memoryMax: bytes(get('MemoryMax')), tasksMax: num(get('TasksMax')) };
}

/** Sums of the audience's own figures (viewers that left keep their last figures). */
function totals(viewers) {
  const t = { peer: 0, seeder: 0, http: 0, r2: 0, stalls: 0, stallS: 0, watchedS: 0, viewers: 0 };
  for (const v of viewers) {
    if (!v) continue;
    for (const k of ['peer', 'seeder', 'http', 'r2']) t[k] += v.bytes?.[k] || 0;
    t.stalls += v.stalls || 0;
    t.stallS += v.stallS || 0;
    t.watchedS += v.watchedS || 0;
    if (!v.left) t.viewers++;
  }
  return t;
}

/** One audience's figures over a bucket: stalls, stall ratio and P2P share (bytes from viewers). */
function audienceBucket(a, b) {
  const d = Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] || 0)]));
  const bytes = d.peer + d.seeder + d.http + d.r2;
  return { viewers: b.viewers, stalls: d.stalls, stallRatio: d.watchedS > 0 ? d.stallS / d.watchedS : null, p2pShare: bytes > 0 ? d.peer / bytes : null, mbytes: bytes / MB };
}

/** The box's figures over a bucket's samples. */
function boxBucket(samples) {
  const procs = samples.filter((s) => s.proc);
  const cpuS = cpuSeconds(procs);
  const secs = procs.length > 1 ? (procs.at(-1).t - procs[0].t) / 1000 : null;
  const max = (xs) => (xs.length ? Math.max(...xs) : null);
  const st = samples.filter((s) => s.status);
  return {
    rssMaxMB: max(procs.map((s) => s.proc.rss / MB)),
    rssEndMB: procs.length ? procs.at(-1).proc.rss / MB : null,
    fdsMax: max(procs.map((s) => s.proc.fds)),
    fdsEnd: procs.length ? procs.at(-1).proc.fds : null,
    tasksMax: max(procs.map((s) => s.proc.tasks)),
    cpuPct: secs ? (100 * cpuS) / secs : null,
    windowMaxMB: max(st.map((s) => (s.status.window?.bytes || 0) / MB)),
    unanswered: samples.length - st.length, // /api/status did not answer within 3 s
  };
}

const HEADER = `| minutes | RSS max / end | open fds max / end | tasks max | box CPU (1 core = 100 %) | window max | /api/status unanswered | browsers: stalls, stall ratio, P2P share | simulated: viewers, stalls, stall ratio, P2P share (modelled) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |`;

const minutes = (m) => (Number.isInteger(m) ? String(m) : m.toFixed(1));

function bucketRow(from, to, box, br, sim) {
  return `| ${minutes(from)}-${minutes(to)} | ${f(box.rssMaxMB)} / ${f(box.rssEndMB)} MB | ${box.fdsMax ?? '-'} / ${box.fdsEnd ?? '-'} | ${box.tasksMax ?? '-'} | ${f(box.cpuPct)} % | ${f(box.windowMaxMB)} MB | ${box.unanswered} | ${br.stalls}, ${f(br.stallRatio * 100, 2)} %, ${f(br.p2pShare * 100)} % | ${sim.viewers}, ${sim.stalls}, ${f(sim.stallRatio * 100, 2)} %, ${f(sim.p2pShare * 100)} % |`;
}

async function main() {
  const { WebSocket } = await load('ws').then((m) => ({ WebSocket: m.WebSocket || m }));
  const ctx = { WebSocket, signalUrl: SIGNAL, trackerUrl: TRACKER, boxUrl: BOX };
  const box = await startBox({});
  let browsers = null;
  let sims = null;
  let churner = null;
  const stop = { now: false };
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.once(sig, () => {
      box.killNow();
      process.exit(143);
    });
  }
  try {
    console.error(`box up (pid ${box.pid}); ${BROWSERS} browsers, ${SIMS} simulated viewers`);
    browsers = BROWSERS ? await (await import('./browsers.mjs')).startBrowsers(BROWSERS, ctx) : null;
    sims = SIMS ? await (await import('./sim.mjs')).startSim(SIMS, ctx) : null;
    await sleep(30000); // every viewer has joined a few segments
    const audience = async () => ({ br: totals(browsers ? await browsers.figures() : []), sim: totals(sims ? sims.figures() : []) });
    if (sims) churner = churn(sims, SIMS);
    const t0 = Date.now();
    const drops = [];
    const dropper = (async () => {
      for (let k = 1; k * DROP_EVERY_S < SOAK_S; k++) {
        await sleep(Math.max(0, t0 + k * DROP_EVERY_S * 1000 - Date.now()));
        if (stop.now) return;
        console.error(`OBS dropped for ${DROP_S} s at ${k * DROP_EVERY_S} s`);
        drops.push(k * DROP_EVERY_S);
        await box.obsDrop(DROP_S * 1000);
      }
    })();
    const rows = [];
    let at = await audience();
    for (let b = 0; b * BUCKET_S < SOAK_S; b++) {
      const end = t0 + Math.min(SOAK_S, (b + 1) * BUCKET_S) * 1000;
      const samples = [];
      while (Date.now() < end) {
        samples.push(await box.sample());
        await sleep(Math.min(SAMPLE_S * 1000, Math.max(0, end - Date.now())));
      }
      const now = await audience();
      const row = { from: (b * BUCKET_S) / 60, to: Math.min(SOAK_S, (b + 1) * BUCKET_S) / 60, box: boxBucket(samples), browsers: audienceBucket(at.br, now.br), sims: audienceBucket(at.sim, now.sim) };
      at = now;
      rows.push(row);
      console.error(bucketRow(row.from, row.to, row.box, row.browsers, row.sims));
    }
    stop.now = true;
    churner?.stop();
    await dropper;
    report(rows, drops);
  } finally {
    stop.now = true;
    churner?.stop();
    await browsers?.close().catch(() => {});
    await sims?.close().catch(() => {});
    await box.close();
  }
}

function report(rows, drops) {
  const limits = unitLimits(readFileSync(UNIT, 'utf8'));
  const max = (k) => Math.max(...rows.map((r) => r.box[k] ?? 0));
  const warm = rows[Math.min(1, rows.length - 1)].box; // the first bucket is warm-up
  const last = rows.at(-1).box;
  console.log(`soak: ${minutes(SOAK_S / 60)} min, ${BROWSERS} browsers + ${SIMS} simulated viewers (10 %/min churn), OBS dropped ${DROP_S} s at ${drops.map((s) => `${minutes(s / 60)} min`).join(', ') || 'never'}; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log(HEADER);
  for (const r of rows) console.log(bucketRow(r.from, r.to, r.box, r.browsers, r.sims));
  console.log(`after warm-up (bucket 2 -> last): RSS at bucket end ${f(warm.rssEndMB)} -> ${f(last.rssEndMB)} MB, open fds ${warm.fdsEnd} -> ${last.fdsEnd}`);
  const lim = (name, used, limit, unit = '') => `${name} max ${f(used, unit ? 1 : 0)}${unit} of ${limit === null ? 'no limit' : `${f(limit, unit ? 1 : 0)}${unit}`}${limit ? ` (${f((100 * used) / limit)} %)` : ''}`;
  console.log(`unit limits (${UNIT.split('/').slice(-1)[0]}): ${lim('open fds', max('fdsMax'), limits.nofile)}; ${lim('RSS', max('rssMaxMB'), limits.memoryMax === null ? null : limits.memoryMax / MB, ' MB')}; ${lim('tasks', max('tasksMax'), limits.tasksMax)}`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ soakS: SOAK_S, bucketS: BUCKET_S, sims: SIMS, browsers: BROWSERS, drops, limits, rows }, null, 1));
  console.log(`figures: ${file}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
