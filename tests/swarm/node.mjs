// Node audience (AUDIENCE=node:N): N webtorrent viewers in processes of PER_PROCESS (default 5)
// each (node-peers.mjs), started 2 s apart per process.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const PER = Number(process.env.PER_PROCESS || 5);
const here = new URL('.', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startProcess(k, ctx) {
  const child = spawn(process.execPath, [`${here}node-peers.mjs`, ctx.signalUrl, ctx.trackerUrl, ctx.boxUrl, String(k)], { stdio: ['pipe', 'pipe', process.env.VERBOSE ? 'inherit' : 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ready = Promise.race([next(), new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`a Node viewer process exited (${code}) before it was ready`))))]);
  return {
    child,
    ready,
    send: (cmd) => child.stdin.write(cmd + '\n'),
    async fig() {
      if (child.exitCode !== null) return [];
      const r = next();
      child.stdin.write('fig\n');
      const line = await Promise.race([r, sleep(5000).then(() => '[]')]);
      return JSON.parse(line);
    },
  };
}

export async function startNode(n, ctx) {
  const procs = [];
  for (let left = n; left > 0; left -= PER) {
    const p = startProcess(Math.min(PER, left), ctx);
    await p.ready;
    procs.push(p);
    await sleep(2000);
  }
  let turn = 0;
  return {
    kind: `node:${n}`,
    note: `Node viewers: webtorrent 3.0.21 over @roamhq/wrtc, ${PER} per process, phase <= ${process.env.SIM_PHASE_MS || 2000} ms after an announcement, HTTP after ${process.env.NODE_DEADLINE_MS || 3000} ms`,
    async leave(k) {
      for (let i = 0; i < k; i++) procs[turn++ % procs.length].send('leave');
    },
    async join(k) {
      for (let i = 0; i < k; i++) procs[turn++ % procs.length].send('join');
    },
    async figures() {
      return (await Promise.all(procs.map((p) => p.fig()))).flat();
    },
    async close() {
      for (const p of procs) p.send('quit');
      await sleep(1000);
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    },
  };
}
