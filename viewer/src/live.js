// Live-edge control and stall accounting, sampled every 250 ms: counts stalls (the playhead not
// moving while it should), jumps back to the live sync point when far behind (after a stall),
// and asks for a player restart when playback stays stuck (stream restart, broken timeline).

const TICK_MS = 250;
/** Stuck this long while playing: restart the player. */
const RESTART_AFTER_MS = 8000;

/** Watches `video`; `player` exposes liveSyncPosition, targetLatency, latency and restart(). */
export class LiveControl {
  constructor(video, player, stats) {
    this.video = video;
    this.player = player;
    this.stats = stats;
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
    if (now - this.stuckSince >= TICK_MS) this.stats.stallBegan(this.stuckSince);
    if (now - this.stuckSince > RESTART_AFTER_MS) {
      this.stuckSince = now;
      this.player.restart('playback stuck');
    }
  }

  /** After a stall the latency grows; beyond target + 2 segments, seek back to the sync point. */
  keepNearLive() {
    const { latency, targetLatency, liveSyncPosition, segmentS } = this.player.liveInfo();
    if (latency === null || liveSyncPosition === null) return;
    if (latency > targetLatency + 2 * segmentS && liveSyncPosition > this.video.currentTime) {
      this.video.currentTime = liveSyncPosition;
    }
  }
}
