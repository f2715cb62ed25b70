// The box under test in RTMP mode (`ingest.mode = "rtmp"`, debug or release build) inside the
// benchmark's network namespace, ffmpeg playing OBS (a pre-encoded 1280x720 testsrc2 + sine clip,
// 2.5 Mbit/s video by default or STREAM_KBPS in all, 2 s keyframes, looped in real time) pushing to
// rtmp://198.18.0.1:1935/live/<key>, and a sampler of /api/status, /proc/<pid> (CPU, VmRSS) and the
// counters of the box's side of the veth (VB_VETH, when the audience is in the other namespace).
// The stream key is random per run, passed by environment, never printed.
import { existsSync, mkdtempSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../viewer/lib/infra.mjs';

export const HOST = '198.18.0.1';
export const BOX = `http://${HOST}:8080`;
export const SIGNAL = `ws://${HOST}:8080/signal`;
export const TRACKER = `ws://${HOST}:8080/announce`;
/** Video and audio kbit/s of the OBS stand-in: 2500 + 128 by default; STREAM_KBPS=k makes the
 * two add up to k (audio 64 kbit/s below 1000). */
export function streamRates(streamKbps = Number(process.env.STREAM_KBPS || 0)) {
  if (!streamKbps) return { video: 2500, audio: 128 };
  const audio = streamKbps < 1000 ? 64 : 128;
  if (streamKbps - audio < 100) throw new Error(`STREAM_KBPS=${streamKbps} leaves too little for video`);
  return { video: streamKbps - audio, audio };
}
const repo = new URL('../..', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => process.env.VERBOSE && console.error(...a);

const S3S_FS = process.env.VENUEBOX_S3S_FS || join(process.env.HOME || '/root', '.cache/venuebox/s3s-fs/bin/s3s-fs');
const S3_PORT = 9000;

function uplinkConfig() {
  return `[uplink]
enabled = true
endpoint = "http://${HOST}:${S3_PORT}"
bucket = "venue"
public_base_url = "http://${HOST}:${S3_PORT}/venue"
credentials_file = "/nonexistent"
`;
}

function config(work, hls, uplink) {
  // Every simulated viewer and engine shares one address (the namespace's other end): lift the
  // per-address cap (64 on a real venue network) to the global one.
  return `${uplink ? uplinkConfig() : ''}[http]
listen = "${HOST}:8080"
max_connections_per_address = 4096
[ingest]
mode = "rtmp"
hls_dir = "${hls}"
rtmp_listen = "${HOST}:1935"
[discovery]
mdns = false
[admin]
password = "swarm-bench-password"
state_dir = "${work}"
[signal]
stats_interval_secs = 2
[seeder]
udp_listen = "${HOST}:0"
public_host = "${HOST}"
candidate_ips = ["${HOST}"]
`;
}

/** The viewer tests' poller, re-exported for the swarm driver. */
export { waitFor };

export async function status() {
  return (await fetch(`${BOX}/api/status`, { signal: AbortSignal.timeout(3000) })).json();
}

function stopChild(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill(signal);
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 3000);
  });
}

/** /proc/<pid>: CPU seconds (user + system), VmRSS in bytes, open file descriptors and tasks
 * (threads: what systemd's TasksMax counts). */
function procFigures(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, USER_HZ = 100
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const threads = /Threads:\s+(\d+)/.exec(status);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { pid, cpuS, rss: rss ? Number(rss[1]) * 1024 : null, fds, tasks: threads ? Number(threads[1]) : null };
  } catch {
    return null;
  }
}

/** The OBS stand-in's stream, encoded once and cached: 1280x720 testsrc2 at 30 fps + a sine,
 * x264 at `video` kbit/s with 2 s keyframes, AAC at `audio`, OBS_CLIP_SECS long (default 60). */
function obsClip({ video, audio }) {
  const secs = Number(process.env.OBS_CLIP_SECS || 60);
  const dir = new URL('../../target/swarm-bench', import.meta.url).pathname;
  const file = join(dir, `obs-720p30-${video}k${audio === 128 ? '' : `-a${audio}k`}-${secs}s.flv`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${secs}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${secs}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-b:v', `${video}k`, '-maxrate', `${video}k`, '-bufsize', `${video}k`,
    '-c:a', 'aac', '-b:a', `${audio}k`, '-f', 'flv', `${file}.tmp`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not encode the OBS stand-in clip');
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Bytes sent and received, and packets sent, on `dev` (this process's network namespace), or null. */
export function ifaceCounters(dev = process.env.VB_VETH) {
  if (!dev) return null;
  try {
    for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n')) {
      const [name, rest] = line.split(':');
      if (name?.trim() !== dev) continue;
      const f = rest.trim().split(/\s+/).map(Number);
      return { rx: f[0], tx: f[8], txPackets: f[9] };
    }
  } catch {
    // no such file outside Linux
  }
  return null;
}

/** Starts box + OBS; resolves to a handle (sampling, faults, close). */
export async function startBox({ uplink = false, streamKbps } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'vb-swarm-'));
  const hls = join(work, 'hls');
  const cfg = join(work, 'venuebox.toml');
  writeFileSync(cfg, config(work, hls, uplink), { mode: 0o600 });
  const key = randomBytes(12).toString('hex');
  // The R2 stand-in: s3s-fs (SigV4-checking S3 server, as scripts/test.d/50-uplink.sh uses).
  const r2Secret = randomBytes(16).toString('hex');
  let s3 = null;
  const startS3 = () => {
    mkdirSync(join(work, 's3', 'venue'), { recursive: true });
    s3 = spawn(S3S_FS, ['--host', HOST, '--port', String(S3_PORT), '--access-key', 'swarm-bench', '--secret-key', r2Secret, join(work, 's3')], { stdio: 'ignore' });
  };
  if (uplink) startS3();
  let box = null;
  let obs = null;
  const startBoxProc = () => {
    // BOX_BIN: another build of the service; BOX_WRAPPER: a command to run it under (e.g. a heap
    // profiler; the CPU and RSS figures are then the wrapper's).
    const bin = process.env.BOX_BIN || join(repo, `target/${process.env.PROFILE === 'release' ? 'release' : 'debug'}/venuebox`);
    const [cmd, ...pre] = [...(process.env.BOX_WRAPPER || '').split(' ').filter(Boolean), bin];
    box = spawn(cmd, [...pre, '--config', cfg], {
      cwd: repo,
      stdio: ['ignore', 'ignore', process.env.VERBOSE ? 'inherit' : 'ignore'],
      env: { ...process.env, RUST_LOG: 'warn', VENUEBOX_INGEST_STREAM_KEY: key, VENUEBOX_R2_ACCESS_KEY_ID: 'swarm-bench', VENUEBOX_R2_SECRET_ACCESS_KEY: r2Secret, VENUEBOX_HTTP_VIEWER_DIR: join(repo, 'viewer/dist') },
    });
  };
  const rates = streamRates(streamKbps);
  const clip = obsClip(rates);
  const startObs = () => {
    // ffmpeg's own output is not forwarded: its errors may name the URL, which holds the key.
    // It pushes the pre-encoded clip in real time, looped: OBS's encoder runs on another
    // machine, so the box's 2 cores are shared only with the audience.
    obs = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'fatal', '-re', '-stream_loop', '-1', '-i', clip,
      '-c', 'copy', '-f', 'flv', `rtmp://${HOST}:1935/live/${key}`], { stdio: 'ignore' });
    // OBS reconnects when the box went away: so does this stand-in.
    const me = obs;
    me.on('exit', () => {
      if (me === obs && !closing && !obsPaused) setTimeout(() => me === obs && !closing && !obsPaused && startObs(), 1000);
    });
  };
  let closing = false;
  let obsPaused = false;
  startBoxProc();
  try {
    await waitFor('the box', async () => (await status()).ingest, 30000);
    startObs();
    await waitFor('3 segments seeded by the box', async () => (await status()).seeder.segments.length >= 3, 60000);
  } catch (e) {
    // A box that never came up must not outlive the run (it would skew the next one).
    closing = true;
    for (const c of [obs, box, s3]) if (c && c.exitCode === null) c.kill('SIGKILL');
    throw e;
  }

  const seederUp = new Map(); // info_hash -> largest `uploaded` seen (segments leave the window)
  let last = null;
  const handle = {
    get pid() {
      return box.pid;
    },
    rates,
    /** One sample: status + process figures; keeps the seeder's per-segment uploads. */
    async sample() {
      const s = await status().catch(() => null);
      const p = procFigures(box.pid);
      const veth = ifaceCounters();
      if (s?.seeder) for (const seg of s.seeder.segments) seederUp.set(seg.info_hash, Math.max(seederUp.get(seg.info_hash) || 0, seg.uploaded));
      if (s) last = s;
      return { t: Date.now(), status: s, proc: p, veth, seederUploaded: handle.seederUploaded() };
    },
    seederUploaded: () => [...seederUp.values()].reduce((a, b) => a + b, 0),
    lastStatus: () => last,
    /** OBS drops: ffmpeg killed, restarted after `ms`. */
    async obsDrop(ms) {
      obsPaused = true;
      await stopChild(obs, 'SIGKILL');
      await sleep(ms);
      obsPaused = false;
      startObs();
    },
    /** SIGKILL of the service, restarted after `ms` (the harness plays systemd's Restart=always). */
    async kill(ms) {
      await stopChild(box, 'SIGKILL');
      log('box killed');
      await sleep(ms);
      startBoxProc();
      await waitFor('the restarted box', async () => (await status()).ingest, 30000);
    },
    /** R2 unreachable: the S3 server stopped for `ms`, then started again on the same storage. */
    async r2Down(ms) {
      await stopChild(s3, 'SIGKILL');
      await sleep(ms);
      startS3();
    },
    /** On SIGTERM of the driver: kill every child at once (no awaiting). */
    killNow() {
      closing = true;
      for (const c of [obs, box, s3]) if (c && c.exitCode === null) c.kill('SIGKILL');
    },
    async close() {
      closing = true;
      await Promise.all([stopChild(obs), stopChild(box), stopChild(s3)]);
      rmSync(work, { recursive: true, force: true });
    },
  };
  return handle;
}
