// The media element's driver: hls.js (MSE or ManagedMediaSource) with the P2P fragment loader,
// or the browser's native HLS (Safari, iOS, TVs); restart() rebuilds it after a stream restart.
import Hls from 'hls.js/light';
import { makeFragmentLoader } from './loader.js';

/**
 * hls.js settings: ~3 segments behind live, patient with a live stream. Catch-up by playback
 * rate is live.js's (hls.js adjusts the rate only in its low-latency mode, which is for LL-HLS).
 */
const HLS_CONFIG = {
  liveSyncDurationCount: 3,
  liveMaxLatencyDurationCount: 6,
  lowLatencyMode: false,
  backBufferLength: 10,
  maxBufferLength: 20,
  fragLoadPolicy: {
    default: {
      maxTimeToFirstByteMs: 10000,
      maxLoadTimeMs: 20000,
      timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: 6, retryDelayMs: 500, maxRetryDelayMs: 4000 },
    },
  },
};

/** Whether hls.js can run here (MSE or ManagedMediaSource). */
export function hlsJsSupported() {
  return Hls.isSupported();
}

/** Plays `playlist` in `video`; `app` supplies segments for the loader (null: plain HTTP). */
export class Player {
  constructor(video, playlist, app, { native, onState }) {
    this.video = video;
    this.playlist = playlist;
    this.app = app;
    this.native = native;
    this.onState = onState;
    this.hls = null;
    this.restarts = 0;
    this.fatalErrors = [];
    this.start();
  }

  start() {
    if (this.native) {
      this.video.src = this.playlist;
      this.video.play().catch(() => this.onState('Tap to play'));
      return;
    }
    const config = { ...HLS_CONFIG };
    if (this.app) config.fLoader = makeFragmentLoader(Hls, this.app);
    const hls = new Hls(config);
    this.hls = hls;
    this.video.disableRemotePlayback = true; // ManagedMediaSource needs it (or an AirPlay source)
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.video.play().catch(() => this.onState('Tap to play')));
    hls.on(Hls.Events.ERROR, (_e, data) => this.onError(data));
    hls.loadSource(this.playlist);
    hls.attachMedia(this.video);
  }

  onError(data) {
    if (!data.fatal) return;
    if (this.fatalErrors.length < 50) this.fatalErrors.push(data.details);
    this.onState(`Recovering (${data.details})…`);
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) this.hls.recoverMediaError();
    else setTimeout(() => this.restart(data.details), 1000);
  }

  /** Rebuilds playback from the current playlist (after a restart or a broken timeline). */
  restart(why) {
    console.warn(`player restart: ${why}`);
    this.restarts++;
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    } else {
      this.video.removeAttribute('src');
      this.video.load();
    }
    this.start();
  }

  /** Latency figures for the live controller and overlay (seconds; null when unknown). */
  liveInfo() {
    const h = this.hls;
    const segmentS = h?.levels?.[h.currentLevel]?.details?.targetduration || 2;
    if (!h || h.liveSyncPosition === null || h.liveSyncPosition === undefined) {
      return { latency: null, targetLatency: 3 * segmentS, liveSyncPosition: null, segmentS };
    }
    return { latency: h.latency, targetLatency: h.targetLatency, liveSyncPosition: h.liveSyncPosition, segmentS };
  }
}
