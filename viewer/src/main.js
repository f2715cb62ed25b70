// The viewer's entry point: picks how to play (hls.js + P2P, hls.js over HTTP, native HLS),
// follows signaling, and wires the loader, live control, overlay and stats reports together.
import { readConfig } from './config.js';
import { Stats } from './stats.js';
import { SegmentWindow } from './window.js';
import { SignalClient } from './signal.js';
import { statsMessage } from './signal-msg.js';
import { Player, hlsJsSupported } from './player.js';
import { LiveControl } from './live.js';
import { bindOverlay } from './overlay.js';
import { registerServiceWorker } from './pwa.js';
import { bufferAhead, p2pWaitMs } from './deadline.js';

const cfg = readConfig(window.location);
const video = document.getElementById('video');
const state = document.getElementById('state');
const stats = new Stats();
const show = (text) => (state.textContent = text);

/** What the fragment loader and the P2P side share. */
const app = {
  baseUrl: cfg.baseUrl,
  stats,
  p2p: null,
  httpSource: cfg.source === 'r2' ? 'r2' : 'box',
  window: new SegmentWindow(),
  httpEstimateS: 0.5,
  segmentForUrl(url) {
    return this.window.forUrl(url);
  },
  p2pWaitMs(seg) {
    const bufferAheadS = bufferAhead(video.buffered, video.currentTime);
    const p2pHealthy = !!this.p2p && (this.p2p.recentlyDelivered(20000) || stats.segments.httpOnly < 3);
    return p2pWaitMs({ bufferAheadS, segmentS: seg.duration, httpEstimateS: this.httpEstimateS, p2pHealthy });
  },
  segmentLoaded(r) {
    if (r.httpPieces === 0) return;
    const wholeS = (r.httpMs / 1000) * (r.count / r.httpPieces);
    this.httpEstimateS = Math.min(5, 0.7 * this.httpEstimateS + 0.3 * wholeS);
  },
};

function webrtcAvailable() {
  return typeof RTCPeerConnection === 'function';
}

async function startP2PSide(tracker) {
  if (!cfg.p2p || !webrtcAvailable() || app.p2p) return;
  try {
    const { startP2P } = await import('./p2p.js');
    app.p2p = await startP2P({ tracker, stats });
    stats.mode = 'p2p';
  } catch (e) {
    console.warn('P2P unavailable:', e.message);
  }
}

let reportEveryMs = cfg.reportEveryMs;

function onSignal(msg) {
  if (msg.type === 'hello') {
    app.window.reset(msg.segments);
    reportEveryMs = msg.statsIntervalS * 1000;
    startP2PSide(cfg.trackerForced ? cfg.tracker : msg.tracker);
  } else if (msg.type === 'segment') {
    app.window.add(msg.segment);
    const prefetch = app.p2p && player && !player.native && msg.segment.torrent;
    if (prefetch) app.p2p.torrentFor(msg.segment); // peers get a head start before hls.js asks
  } else if (msg.type === 'removed') {
    app.window.remove(msg.name);
  } else if (msg.type === 'end') {
    show('The stream has ended');
  } else if (msg.type === 'error') {
    console.warn(`signaling refused a message: ${msg.code} ${msg.message}`);
  }
  app.p2p?.release(app.window.names());
}

// Counters in reports are cumulative per signaling connection (the box counts each connection
// as a viewer and keeps the totals of those that left), so each connection starts from zero.
const baseline = { p2pBytes: 0, boxBytes: 0, r2Bytes: 0, stalls: 0 };

function onSignalState(st) {
  if (st !== 'open') return;
  const s = snapshot();
  for (const k of Object.keys(baseline)) baseline[k] = s[k];
}

function report() {
  const s = snapshot();
  for (const k of Object.keys(baseline)) s[k] -= baseline[k];
  signal.send(statsMessage(s));
  setTimeout(report, reportEveryMs);
}

function liveFigures() {
  const info = player ? player.liveInfo() : { latency: null };
  const seekEnd = video.seekable.length ? video.seekable.end(video.seekable.length - 1) : null;
  const latencyS = info.latency ?? (player?.native && seekEnd !== null ? seekEnd - video.currentTime : null);
  return { peers: app.p2p ? app.p2p.peerCount() : 0, bufferS: bufferAhead(video.buffered, video.currentTime), latencyS };
}

const snapshot = () => stats.snapshot(performance.now(), liveFigures());

const native = cfg.forceNative || !hlsJsSupported();
const canPlayNative = video.canPlayType('application/vnd.apple.mpegurl') !== '';
let player = null;
if (native && !canPlayNative) {
  show('This browser cannot play HLS.');
} else {
  // The loader also serves plain HTTP (it counts the bytes); without signaling it has no torrents.
  stats.mode = native ? 'native HLS' : cfg.source === 'r2' ? 'HTTP (R2)' : 'HTTP (verified)';
  player = new Player(video, cfg.playlist, native ? null : app, { native, onState: show });
  new LiveControl(video, player, stats);
}

const signal = cfg.signalUrl ? new SignalClient(cfg.signalUrl, { onMessage: onSignal, onState: onSignalState }) : null;
if (signal) setTimeout(report, reportEveryMs);

video.addEventListener('playing', () => show('Live'));
video.addEventListener('waiting', () => show('Buffering…'));
bindOverlay(document.getElementById('stats'), state, snapshot, cfg.showStats);
registerServiceWorker();
window.venuebox = {
  get hls() {
    return player?.hls;
  },
  get errors() {
    return player ? player.fatalErrors : [];
  },
  player,
  stats: snapshot,
  app,
  cfg,
};
