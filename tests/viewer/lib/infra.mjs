// Starts what the browser tests need inside the test's network namespace: ffmpeg writing an
// HLS folder and the real box (`venuebox --hls-dir`: viewer, /signal, /announce tracker, WebRTC
// seeder); beside it a refusing tracker (npm bittorrent-tracker with a filter) and an R2
// stand-in (a plain HTTP copy of the box's files). Every child is stopped by its pid at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOST = '198.18.0.1';
export const PORT = 8080;
export const BOX = `http://${HOST}:${PORT}`;
/** Two more addresses of the namespace (70-viewer-browser.sh adds them): a hostile device, a prober. */
export const FLOOD_HOST = '198.18.0.3';
export const PROBE_HOST = '198.18.0.4';
export const SIGNAL = `ws://${HOST}:8080/signal`;
/** The box's own tracker; the refusing one is the npm stand-in with a filter. */
export const TRACKER = `ws://${HOST}:8080/announce`;
export const REFUSING_TRACKER = `ws://${HOST}:8002`;
/** The R2 stand-in's copy of the viewer (and the stream next to it). */
export const R2_VIEWER = `http://${HOST}:8003/venue/index.html`;

const here = new URL('..', import.meta.url).pathname;
const repo = new URL('../../..', import.meta.url).pathname;
const children = new Set();

function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.stdout.on('data', (d) => process.env.VERBOSE && process.stderr.write(`[${name}] ${d}`));
  child.stderr.on('data', (d) => process.env.VERBOSE && process.stderr.write(`[${name}] ${d}`));
  child.name = name;
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Stops one child by its pid and waits for it. */
export function stop(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 3000);
  });
}

/** ffmpeg making a live test stream into `dir` (2 s segments, numbering from 0). */
export function startFfmpeg(dir, { width = 320, height = 180, kbps = 300, fps = 25 } = {}) {
  const args = ['-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(2 * fps), '-keyint_min', String(2 * fps), '-sc_threshold', '0',
    '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-c:a', 'aac', '-b:a', '64k',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '8', '-hls_flags', 'delete_segments+temp_file',
    '-hls_segment_filename', join(dir, 'seg-%05d.ts'), join(dir, 'stream.m3u8')];
  return start('ffmpeg', 'ffmpeg', args);
}

/** Waits until `check()` resolves truthy, polling every 200 ms, or throws after `ms`. */
export async function waitFor(what, check, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The box's /api/status. */
export async function boxStatus() {
  return (await fetch(`${BOX}/api/status`)).json();
}

/** The box's configuration: everything on the namespace's address, no mDNS. */
function boxConfig(work) {
  return `[http]
listen = "${HOST}:8080"
[discovery]
mdns = false
[admin]
password = "viewer-test-password"
state_dir = "${work}"
[signal]
stats_interval_secs = 2
[seeder]
udp_listen = "${HOST}:0"
public_host = "${HOST}"
candidate_ips = ["${HOST}"]
`;
}

/** Starts everything; resolves to a handle with `restartStream()` and `close()`. */
export async function startInfra(media = {}) {
  const work = mkdtempSync(join(tmpdir(), 'vb-viewer-'));
  const hls = join(work, 'hls');
  mkdirSync(hls);
  let ffmpeg = startFfmpeg(hls, media);
  const config = join(work, 'venuebox.toml');
  writeFileSync(config, boxConfig(work));
  const startBox = () => start('box', join(repo, 'target/debug/venuebox'), ['--config', config, '--hls-dir', hls], {
    cwd: repo,
    env: { ...process.env, RUST_LOG: 'warn', VENUEBOX_HTTP_VIEWER_DIR: join(repo, 'viewer/dist') },
  });
  let box = startBox();
  start('tracker-refusing', 'node', [join(here, 'standin/tracker.mjs'), HOST, '8002', '--refuse']);
  start('r2', 'node', [join(here, 'standin/r2.mjs'), BOX, join(repo, 'viewer/dist'), HOST, '8003']);
  await waitFor('3 segments seeded by the box', async () => (await boxStatus()).seeder.segments.length >= 3, 40000);
  return {
    /** Stops ffmpeg and starts a new one (new numbering: a stream restart for the box). */
    async restartStream(gapMs = 3000) {
      await stop(ffmpeg);
      await new Promise((r) => setTimeout(r, gapMs));
      for (const f of readdirSync(hls)) rmSync(join(hls, f), { force: true });
      ffmpeg = startFfmpeg(hls, media);
    },
    /** Stops the box (SIGKILL: no goodbye to viewers) and starts it again after `gapMs`. */
    async restartBox(gapMs = 2000) {
      box.kill('SIGKILL');
      await new Promise((r) => box.once('exit', r));
      await new Promise((r) => setTimeout(r, gapMs));
      box = startBox();
      await waitFor('the restarted box', async () => (await boxStatus()).window.segments >= 1, 30000);
    },
    /** The box's aggregate of viewer stats and its signaling counters. */
    async signalStatus() {
      return (await boxStatus()).signal;
    },
    async close() {
      await Promise.all([...children].map(stop));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
