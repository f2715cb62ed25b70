// Prober of the box's plain HTTP side, in its own process so a saturated driver does not delay
// it: GET /healthz, /hls/live.m3u8 and /api/status, each on a fresh TCP connection every
// PROBE_EVERY_MS (default 200), a probe that takes PROBE_TIMEOUT_MS (default 2000) counts as a
// timeout. Prints `probe <t> s: <path> p50/p99/max ms, n, timeouts, errors` per path every 10 s,
// and on SIGTERM one `probe-summary <json>` line with the same figures from SIGUSR2 on (the
// driver's measured period; from the start without it). Usage: node prober.mjs <base url>.
import http from 'node:http';

const BASE = new URL(process.argv[2] || 'http://198.18.0.1:8080');
const EVERY_MS = Number(process.env.PROBE_EVERY_MS || 200);
const TIMEOUT_MS = Number(process.env.PROBE_TIMEOUT_MS || 2000);
const PATHS = ['/healthz', '/hls/live.m3u8', '/api/status'];
const MAX_IN_FLIGHT = Math.ceil(TIMEOUT_MS / EVERY_MS) + 1; // a stuck box cannot pile probes up

/** Latencies and failures of one path over a span. */
const tally = () => Object.fromEntries(PATHS.map((p) => [p, { ms: [], timeouts: 0, errors: 0 }]));
let window10 = tally();
let measured = tally();
const t0 = Date.now();
const inFlight = Object.fromEntries(PATHS.map((p) => [p, 0]));

/** One GET on a new connection; resolves to {ms} or {timeout} or {error}. */
function probe(path) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const done = (r) => {
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = http.get({ host: BASE.hostname, port: BASE.port, path, agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => done(res.statusCode === 200 ? { ms: Number(process.hrtime.bigint() - start) / 1e6 } : { error: `HTTP ${res.statusCode}` }));
      res.on('error', (e) => done({ error: e.code || e.message }));
    });
    req.on('error', (e) => done({ error: e.code || e.message }));
    const timer = setTimeout(() => done({ timeout: true }), TIMEOUT_MS);
  });
}

function record(path, r) {
  for (const t of [window10[path], measured[path]]) {
    if (r.timeout) t.timeouts++;
    else if (r.error) t.errors++;
    else t.ms.push(r.ms);
  }
}

const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);

/** p50/p99/max of a tally, per path. */
function summarize(t) {
  return Object.fromEntries(Object.entries(t).map(([path, x]) => {
    const s = [...x.ms].sort((a, b) => a - b);
    return [path, { n: s.length + x.timeouts + x.errors, p50: pct(s, 0.5), p99: pct(s, 0.99), max: s.at(-1) ?? null, timeouts: x.timeouts, errors: x.errors }];
  }));
}

const f = (x) => (x === null ? '-' : x.toFixed(1));
const line = (sum) => Object.entries(sum).map(([p, s]) => `${p} ${f(s.p50)}/${f(s.p99)}/${f(s.max)} ms n=${s.n} timeouts=${s.timeouts} errors=${s.errors}`).join(' | ');

for (const path of PATHS) {
  setInterval(async () => {
    if (inFlight[path] >= MAX_IN_FLIGHT) return record(path, { timeout: true });
    inFlight[path]++;
    record(path, await probe(path));
    inFlight[path]--;
  }, EVERY_MS);
}
setInterval(() => {
  console.log(`probe ${((Date.now() - t0) / 1000).toFixed(0)} s (p50/p99/max): ${line(summarize(window10))}`);
  window10 = tally();
}, 10000);
process.on('SIGUSR2', () => {
  measured = tally();
});
process.on('SIGTERM', () => {
  console.log(`probe-summary ${JSON.stringify(summarize(measured))}`);
  process.exit(0);
});
