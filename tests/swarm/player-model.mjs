// A virtual player for viewers without a video element (Node peers, simulated viewers): it
// starts when the first segment is complete, plays each segment for its duration, and stalls
// whenever the next segment completes after the moment it was due; the stall pushes the
// schedule back, as a real player's would.

export class VirtualPlayer {
  constructor(joinedAt) {
    this.joinedAt = joinedAt;
    this.startAt = null; // wall clock of the first frame
    this.dueAt = null; // when the next segment must be complete
    this.nextSeq = null;
    this.stalls = 0;
    this.stallMs = 0;
    this.playable = []; // announce -> complete, ms, per segment
    this.completedAt = []; // wall clock of each completion (the last 300)
  }

  /** Segment `seq` (duration `dur` s, announced at `announcedAt`) became complete at `now`. */
  complete(seq, dur, announcedAt, now) {
    if (announcedAt) this.playable.push(now - announcedAt);
    this.completedAt.push(now);
    if (this.completedAt.length > 300) this.completedAt.shift();
    if (this.startAt === null) {
      this.startAt = now;
      this.dueAt = now + dur * 1000;
      this.nextSeq = seq + 1;
      return;
    }
    if (seq < this.nextSeq) return; // late duplicate or older segment: nothing to play
    if (now > this.dueAt) {
      this.stalls++;
      this.stallMs += now - this.dueAt;
      this.dueAt = now;
    }
    this.dueAt += dur * 1000;
    this.nextSeq = seq + 1;
  }

  /** A gap in numbering (stream restart, box restart): play on from the next complete segment. */
  resync() {
    this.nextSeq = 0;
  }

  /** Figures at `now`: startup (join -> first frame), stalled and watched seconds. */
  figures(now) {
    const ongoing = this.dueAt !== null && now > this.dueAt + 250 ? now - this.dueAt : 0;
    return {
      startupS: this.startAt === null ? null : (this.startAt - this.joinedAt) / 1000,
      stallS: (this.stallMs + ongoing) / 1000,
      stalls: this.stalls + (ongoing ? 1 : 0),
      watchedS: this.startAt === null ? 0 : (now - this.startAt) / 1000,
      playable: this.playable,
      completedAt: this.completedAt,
    };
  }
}
