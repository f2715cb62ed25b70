// Live-edge control and stall accounting, sampled every 250 ms: counts stalls (the playhead not
// moving while it should), plays up to 10 % faster while behind the target latency (hls.js
// does this only in its low-latency mode), jumps back to the live sync point when far behind
// (after a stall), and asks for a player restart when playback stays stuck (stream restart,
// broken timeline).

const TICK_MS = 250;
/** Stuck this long while playing: restart the player. */
const RESTART_AFTER_MS = 8000;
/** Catch-up: at most this playback rate, only beyond the target by more than START_S ... */
export const CATCH_UP_RATE = 1.1;
const START_S = 0.5;
/** ... and back to 1 within STOP_S of the target, or with less than MIN_BUFFER_S buffered. */
const STOP_S = 0.1;
const MIN_BUFFER_S = 1.5;

/** The playback rate for `latency` behind live against `target` with `bufferS` buffered; `rate` now. */
export function catchUpRate({ latency, target, bufferS, rate }) {
  if (latency === null || target === null || bufferS < MIN_BUFFER_S) return 1;
  const over = latency - target;
  if (over <= STOP_S) return 1;
  if (rate === 1 && over <= START_S) return 1;
  return Math.min(CATCH_UP_RATE, 1 + Math.round(over * 10) / 100); // +1 % per 0.1 s over, capped
}

/** Watches `video`; `player` exposes liveSyncPosition, targetLatency, latency and restart(). */
export class LiveControl {
  /** `bufferAhead()`: seconds buffered past the playhead. */
  constructor(video, player, stats, bufferAhead = () => 0) {
    this.video = video;
    this.player = player;
    this.stats = stats;
    this.bufferAhead = bufferAhead;
    this.lastTime = -1;
    this.playing = false;
    this.stuckSince = null;
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    video.addEventListener('playing', () => this.onPlaying());
  }

  onPlaying() {
    if (this.stats.startupMs === null) this.stats.startupMs = performance.now() - this.started;
    this.playing = true;
  }

  tick() {
    const v = this.video;
    const now = performance.now();
    const moved = v.currentTime !== this.lastTime;
    this.lastTime = v.currentTime;
    if (!this.playing || v.paused || v.ended) return;
    if (moved) {
      this.stats.stallEnded(now);
      this.stuckSince = null;
      this.keepNearLive();
      return;
    }
    if (this.stuckSince === null) this.stuckSince = now;
    if (v.playbackRate !== 1) v.playbackRate = 1;
    if (now - this.stuckSince >= TICK_MS) this.stats.stallBegan(this.stuckSince);
    if (now - this.stuckSince > RESTART_AFTER_MS) {
      this.stuckSince = now;
      this.player.restart('playback stuck');
    }
  }

  /**
   * Slightly behind the target (a slow start, a slow clock, a short stall): play a little
   * faster; beyond target + 2 segments (after a long stall): seek back to the sync point.
   */
  keepNearLive() {
    const v = this.video;
    const { latency, targetLatency, liveSyncPosition, segmentS } = this.player.liveInfo();
    if (latency === null || liveSyncPosition === null) {
      if (v.playbackRate !== 1) v.playbackRate = 1;
      return;
    }
    if (latency > targetLatency + 2 * segmentS && liveSyncPosition > v.currentTime) {
      v.playbackRate = 1;
      v.currentTime = liveSyncPosition;
      return;
    }
    const rate = catchUpRate({ latency, target: targetLatency, bufferS: this.bufferAhead(), rate: v.playbackRate });
    if (rate !== v.playbackRate) v.playbackRate = rate;
  }
}
