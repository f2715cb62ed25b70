// Faults (FAULT=obs-drop|garbage|churn|sigkill): each is started at a point of the run and
// returns what it did and when, so the report can say what viewers saw around it.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** 10 % of the clients send garbage: random bytes, broken JSON, wrong types, huge frames. */
const GARBAGE = [
  () => 'not json',
  () => '{"action":"announce","info_hash":12}',
  () => JSON.stringify({ v: 1, type: 'stats', bytes_p2p: -1 }),
  () => JSON.stringify({ v: 9, type: 'hello' }),
  () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256))),
  () => '{"action":"announce","offers":[' + '{},'.repeat(200) + '{}]}',
  () => 'x'.repeat(70 * 1024),
];

/** `n` WebSocket clients on /announce and /signal (half each) sending garbage every 200 ms. */
export function garbageClients(n, { WebSocket, signalUrl, trackerUrl }) {
  const clients = [];
  const sent = { frames: 0, closedByBox: 0 };
  for (let i = 0; i < n; i++) {
    const open = () => {
      const ws = new WebSocket(i % 2 ? signalUrl : trackerUrl);
      ws.on('error', () => {});
      ws.on('close', () => {
        sent.closedByBox++;
        if (!ws.stopped) setTimeout(open, 500); // a hostile client comes back
      });
      ws.timer = setInterval(() => {
        if (ws.readyState !== 1) return;
        ws.send(GARBAGE[Math.floor(Math.random() * GARBAGE.length)]());
        sent.frames++;
      }, 200);
      clients[i] = ws;
    };
    open();
  }
  return {
    sent,
    stop() {
      for (const ws of clients) {
        ws.stopped = true;
        clearInterval(ws.timer);
        ws.terminate();
      }
    },
  };
}

/** Churn: every 6 s, 1 % of the audience leaves and as many new viewers join (10 %/min). */
export function churn(audience, base) {
  const k = Math.max(1, Math.round(base * 0.01));
  let moved = 0;
  const timer = setInterval(async () => {
    await audience.leave(k);
    await audience.join(k);
    moved += k;
  }, 6000);
  return { stop: () => clearInterval(timer), moved: () => moved };
}

/** Runs the fault named `name` at this moment; resolves to {name, startAt, endAt, detail}. */
export async function runFault(name, { box, audience, ctx, n }) {
  const startAt = Date.now();
  if (name === 'obs-drop') {
    await box.obsDrop(10000);
    return { name, startAt, endAt: Date.now(), detail: 'ffmpeg (OBS) killed, restarted after 10 s' };
  }
  if (name === 'sigkill') {
    await box.kill(2000);
    return { name, startAt, endAt: Date.now(), detail: 'venuebox killed with SIGKILL, restarted after 2 s (as the image unit, Restart=always with RestartSec=2s, would)' };
  }
  if (name === 'r2-down') {
    const ms = Number(process.env.R2_DOWN_SECS || 300) * 1000;
    await box.r2Down(ms);
    return { name, startAt, endAt: Date.now(), detail: `R2 stand-in (s3s-fs) stopped for ${ms / 1000} s, then restarted` };
  }
  throw new Error(`unknown fault ${name}`);
}

export { sleep };
