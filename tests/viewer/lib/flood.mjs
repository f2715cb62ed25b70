// A hostile device for the browser tests (issue 17, docs/THREATS.md T3/T4): one address opens
// thousands of sockets to the box (silent ones, keep-alive HTTP, WebSocket upgrades to /signal
// and /announce) and keeps reopening the ones the box closes; a prober from another address
// times `/healthz` and the playlist. Every socket is bound to a local address of the test's
// namespace (scripts/test.d/70-viewer-browser.sh adds them) and destroyed by `stop()`.
import net from 'node:net';

const UPGRADE = (host, path) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const REQUESTS = [
  () => null, // silent
  (host) => `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
  (host) => UPGRADE(host, '/signal'),
  (host) => UPGRADE(host, '/announce'),
];

/**
 * Opens `total` sockets from `from` to `host:port`, at most `parallel` connecting at once, and
 * reopens closed ones every 250 ms (at most `reopenPerTick` a tick) until `stop()`.
 */
export async function startFlood({ from, host, port, total = 3000, parallel = 200, reopenPerTick = 100 }) {
  const sockets = new Set();
  let opened = 0;
  let closedByBox = 0;
  let stopping = false;
  const connect = () => new Promise((resolve) => {
    const kind = opened % REQUESTS.length;
    opened += 1;
    const s = net.connect({ host, port, localAddress: from });
    sockets.add(s);
    s.setTimeout(5000, () => resolve()); // a connect that hangs does not hold up the flood
    s.on('connect', () => {
      s.setTimeout(0);
      const req = REQUESTS[kind](`${host}:${port}`);
      if (req) s.write(req);
      resolve();
    });
    s.on('data', () => {}); // read what the box sends: a stalled reader is another test
    s.on('error', () => resolve());
    s.on('close', () => {
      sockets.delete(s);
      if (!stopping) closedByBox += 1;
      resolve();
    });
  });
  const fill = async (n) => {
    const workers = Array.from({ length: Math.min(parallel, n) }, async (_, w) => {
      for (let i = w; i < n && !stopping; i += parallel) await connect();
    });
    await Promise.all(workers);
  };
  await fill(total);
  const timer = setInterval(() => {
    const missing = Math.min(reopenPerTick, total - sockets.size);
    if (missing > 0) fill(missing);
  }, 250);
  return {
    /** Sockets open now, opened so far, closed by the other side so far. */
    figures: () => ({ open: sockets.size, opened, closedByBox }),
    /** Destroys every socket; resolves when all are closed (at most `ms`). */
    async stop(ms = 5000) {
      stopping = true;
      clearInterval(timer);
      const all = [...sockets];
      const closed = Promise.all(all.map((s) => new Promise((r) => s.once('close', r))));
      for (const s of all) s.destroy();
      await Promise.race([closed, new Promise((r) => setTimeout(r, ms))]);
      return sockets.size;
    },
  };
}

/** One GET over a fresh connection from `from`; resolves to [status, ms] (rejects after 2 s). */
export function timedGet({ from, host, port, path }) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const s = net.connect({ host, port, localAddress: from });
    let head = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${path}: no answer within 2 s`));
    }, 2000);
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`));
    s.on('data', (d) => {
      head += d.toString('latin1', 0, Math.min(d.length, 64));
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0);
      resolve([status, Number(process.hrtime.bigint() - t) / 1e6]);
    });
  });
}

/** Percentile `p` (0..100) of `xs`. */
export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
