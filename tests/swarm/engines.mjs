// Engine audience (AUDIENCE=engine:N): N viewers running the page's own live-mesh engine
// (viewer/src/mesh/engine.js) with real WebRTC between them (node-datachannel's polyfill), see
// engine-peers.mjs. They run in ENGINE_PROCS worker processes (default: one per 50 viewers, at
// most 2 for 2 cores) in the gateway namespace (VB_GW_NS from scripts/bench/swarm.sh), so every
// byte the box sends them crosses the veth and its counters can be checked against the box's own;
// ENGINE_PROCS=0 runs them in the driver's process instead (the box's namespace: no veth figure).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const here = new URL('.', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const defaultProcs = (n) => Math.min(2, Math.ceil(n / 50));

function startProcess(k, ctx) {
  const gw = process.env.VB_GW_NS;
  const argv = [process.execPath, ...(process.env.ENGINE_NODE_FLAGS || '').split(' ').filter(Boolean), `${here}engine-peers.mjs`, ctx.signalUrl, ctx.boxUrl, String(k)];
  const [cmd, ...args] = gw ? ['ip', 'netns', 'exec', gw, ...argv] : argv;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', process.env.VERBOSE ? 'inherit' : 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ready = Promise.race([next(), new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`an engine process exited (${code}) before it was ready`))))]);
  return {
    child,
    ready,
    send: (cmd) => child.exitCode === null && child.stdin.write(cmd + '\n'),
    async fig() {
      if (child.exitCode !== null) return { proc: null, viewers: [] };
      const r = next();
      child.stdin.write('fig\n');
      // A worker that lags this much makes the run's figures meaningless: say so.
      const line = await Promise.race([r, sleep(30000).then(() => null)]);
      if (!line) console.error(`engine process ${child.pid} did not report within 30 s: its viewers are missing from these figures`);
      return line ? JSON.parse(line) : { proc: null, viewers: [] };
    },
  };
}

/** In the driver's own process (ENGINE_PROCS=0). */
async function inProcess(n, ctx) {
  const { EngineViewer } = await import('./engine-peers.mjs');
  const viewers = [];
  const joinMs = Number(process.env.ENGINE_JOIN_MS || 100);
  for (let i = 0; i < n; i++) {
    viewers.push(new EngineViewer({ signalUrl: ctx.signalUrl, boxUrl: ctx.boxUrl }));
    await sleep(joinMs);
  }
  return {
    send(cmd) {
      if (cmd === 'leave') viewers.find((v) => !v.gone)?.leave();
      else if (cmd === 'join') viewers.push(new EngineViewer({ signalUrl: ctx.signalUrl, boxUrl: ctx.boxUrl }));
      else if (cmd === 'quit') for (const v of viewers) if (!v.gone) v.leave();
    },
    async fig() {
      const { warningTally } = await import('./engine-peers.mjs');
      return { proc: { pid: process.pid, inDriver: true, warnings: Object.fromEntries(warningTally) }, viewers: viewers.map((v) => v.figures(Date.now())) };
    },
    child: null,
  };
}

export async function startEngines(n, ctx) {
  const nProcs = process.env.ENGINE_PROCS === undefined ? defaultProcs(n) : Number(process.env.ENGINE_PROCS);
  let procs;
  if (nProcs === 0) {
    process.env.VB_VETH = ''; // the engines share the box's namespace: nothing crosses the veth
    procs = [await inProcess(n, ctx)];
  } else {
    procs = [];
    for (let i = 0; i < nProcs; i++) procs.push(startProcess(Math.floor(n / nProcs) + (i < n % nProcs ? 1 : 0), ctx));
    await Promise.all(procs.map((p) => p.ready));
  }
  let turn = 0;
  let lastProcs = [];
  return {
    kind: `engine:${n}`,
    note: `engine viewers: viewer/src/mesh/engine.js on node-datachannel's RTCPeerConnection, ${nProcs ? `${nProcs} worker process(es)${process.env.VB_GW_NS ? ' in the gateway namespace' : ''}` : 'in the driver process'}, joined ${process.env.ENGINE_JOIN_MS || 100} ms apart per process`,
    inDriver: nProcs === 0,
    procs: () => lastProcs,
    /** The measured period starts: the workers' CPU and event-loop figures count from here. */
    mark() {
      for (const p of procs) p.send('mark');
    },
    async leave(k) {
      for (let i = 0; i < k; i++) procs[turn++ % procs.length].send('leave');
    },
    async join(k) {
      for (let i = 0; i < k; i++) procs[turn++ % procs.length].send('join');
    },
    async figures() {
      const all = await Promise.all(procs.map((p) => p.fig()));
      lastProcs = all.map((a) => a.proc).filter(Boolean);
      return all.flatMap((a) => a.viewers).map((v) => ({ ...v, playable: (v.playableAt || []).map(([, ms]) => ms) }));
    },
    async close() {
      for (const p of procs) p.send('quit');
      await sleep(1000);
      for (const p of procs) if (p.child && p.child.exitCode === null) p.child.kill('SIGKILL');
    },
  };
}
