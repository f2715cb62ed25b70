// The viewer's entry point: picks how to play (hls.js + the live mesh, hls.js over HTTP, native
// HLS), follows signaling (its hello names the stream swarm; every segment and removal goes to
// the mesh), and wires the loader, live control, overlay and stats reports together.
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
import { countingPeerConnection } from './rtc-count.js';
import { installPolyfills } from './polyfills.js';

const cfg = readConfig(window.location);
const video = document.getElementById('video');
const state = document.getElementById('state');
const stats = new Stats();
const show = (text) => (state.textContent = text);

/** The page's RTCPeerConnection, counted (null without WebRTC): the only one the mesh gets. */
const rtc = typeof RTCPeerConnection === 'function' ? countingPeerConnection(RTCPeerConnection) : null;

/** What the fragment loader and the mesh share. */
const app = {
  baseUrl: cfg.baseUrl,
  stats,
  mesh: null, // MeshSession while signaling's hello names a stream swarm and P2P is possible
  httpSource: cfg.source === 'r2' ? 'r2' : 'box',
  window: new SegmentWindow(),
  httpEstimateS: 0.5,
  segmentForUrl(url) {
    return this.window.forUrl(url);
  },
  p2pWaitMs(seg) {
    const bufferAheadS = bufferAhead(video.buffered, video.currentTime);
    const p2pHealthy = !!this.mesh && (this.mesh.recentlyDelivered(20000) || stats.segments.httpOnly < 3);
    return p2pWaitMs({ bufferAheadS, segmentS: seg.duration, httpEstimateS: this.httpEstimateS, p2pHealthy });
  },
  /** A segment arrived: HTTP runs fetched at once tell how long a whole segment takes over HTTP. */
  segmentLoaded(r) {
    if (!r.httpRun?.pieces) return;
    const wholeS = (r.httpRun.ms / 1000) * (r.count / r.httpRun.pieces);
    this.httpEstimateS = Math.min(5, 0.7 * this.httpEstimateS + 0.3 * wholeS);
  },
};

let meshGen = 0;
let signalLost = false; // signaling dropped since the last hello (the box may have restarted)

/**
 * Starts, keeps or stops the mesh for a hello: one MeshEngine per stream swarm and tracker.
 * A hello after signaling was lost rebuilds the mesh: the box (and its tracker) may have
 * restarted, and the tracker client would wait 10 s to 5 min to reconnect on its own (its link
 * to a killed box also looks open for a while, so that cannot tell).
 */
async function updateMesh(hello) {
  const gen = ++meshGen;
  const trackerUrl = cfg.trackerForced ? cfg.tracker : hello.tracker;
  const want = cfg.p2p && !!rtc && !!hello.swarm && !!player && !player.native;
  const orphaned = signalLost;
  signalLost = false;
  if (app.mesh && (!want || orphaned || !app.mesh.matches(hello.swarm, trackerUrl))) {
    app.mesh.destroy();
    app.mesh = null;
    stats.mode = httpMode();
  }
  if (!want || app.mesh) return;
  try {
    installPolyfills(); // before the mesh's npm parts load
    const { MeshSession } = await import('./mesh-session.js');
    if (gen !== meshGen || app.mesh) return; // a newer hello decides
    app.mesh = new MeshSession({ swarm: hello.swarm, trackerUrl, RTCPeerConnection: rtc.Ctor, stats, baseUrl: cfg.baseUrl });
    app.mesh.keep(app.window.segments());
    stats.mode = 'mesh';
  } catch (e) {
    console.warn('P2P unavailable:', e.message);
  }
}

const httpMode = () => (player?.native ? 'native HLS' : cfg.source === 'r2' ? 'HTTP (R2)' : 'HTTP (verified)');

let reportEveryMs = cfg.reportEveryMs;

function onSignal(msg) {
  if (msg.type === 'hello') {
    app.window.reset(msg.segments);
    reportEveryMs = msg.statsIntervalS * 1000;
    updateMesh(msg);
  } else if (msg.type === 'segment') {
    app.window.add(msg.segment);
  } else if (msg.type === 'removed') {
    app.window.remove(msg.name);
  } else if (msg.type === 'end') {
    show('The stream has ended');
  } else if (msg.type === 'error') {
    console.warn(`signaling refused a message: ${msg.code} ${msg.message}`);
  }
  app.mesh?.keep(app.window.segments()); // the mesh's window is signaling's: adds and removals
}

// Counters in reports are cumulative per signaling connection (the box counts each connection
// as a viewer and keeps the totals of those that left), so each connection starts from zero.
const baseline = { p2pBytes: 0, seederBytes: 0, boxBytes: 0, boxEgressBytes: 0, r2Bytes: 0, stalls: 0 };

function onSignalState(st) {
  if (st === 'closed') signalLost = true;
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
  const mesh = app.mesh ? app.mesh.figures() : null;
  return {
    peers: mesh ? mesh.linksOpen : 0,
    boxLinks: mesh ? mesh.boxLinks : 0,
    peerConnectionsCreated: rtc ? rtc.counts.created : 0,
    peerConnectionsOpen: rtc ? rtc.counts.open : 0,
    mesh,
    bufferS: bufferAhead(video.buffered, video.currentTime),
    latencyS,
  };
}

const snapshot = () => stats.snapshot(performance.now(), liveFigures());

const native = cfg.forceNative || !hlsJsSupported();
const canPlayNative = video.canPlayType('application/vnd.apple.mpegurl') !== '';
let player = null;
if (native && !canPlayNative) {
  show('This browser cannot play HLS.');
} else {
  // The loader also serves plain HTTP (it counts the bytes); without signaling it has no torrents.
  player = new Player(video, cfg.playlist, native ? null : app, { native, onState: show });
  stats.mode = httpMode();
  new LiveControl(video, player, stats, () => bufferAhead(video.buffered, video.currentTime));
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
  /** Figures (what the overlay shows and the box gets): bytes by source, links, peer connections, stalls, latency. */
  stats: snapshot,
  get mesh() {
    return app.mesh;
  },
  /** RTCPeerConnections this page created and has not closed (all of them go through the mesh). */
  peerConnections: rtc ? rtc.counts : { created: 0, open: 0 },
  app,
  cfg,
};
