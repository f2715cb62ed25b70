// The neighbour set: peer connections from the stream swarm's tracker, one live link per data
// channel, at most one link per remote peer, `neighbours` wanted and `neighbours + linkMargin`
// (never more than `maxLinks`) at most. A lost link is replaced by announcing again with
// numwant = free slots; nothing here is per segment. Offers are rationed, because every offer
// costs a peer connection and in a small swarm most go unanswered: an announce carries no more
// offers than free slots not already being offered, and at most the offer budget, a bucket of
// `neighbours` offers that an answered offer or a lost link gives back one to, and that refills
// one per `offerRefillMs` otherwise.
import { LiveLink } from './wire.js';
import { Holdings } from './scheduler.js';
import { startTracker } from './tracker.js';
import { BOX_PREFIX_HEX } from './wire.js';

export class Neighbours {
  /** `hooks`: {onReady(state), onClose(state)}; `linkOpts`: LiveLink options besides channel. */
  constructor({ neighbours, maxLinks, linkMargin = 2, offerRefillMs = 45000, reannounceMs, linkOpts, hooks, timers, maxSegments, now }) {
    Object.assign(this, { want: neighbours, reannounceMs, linkOpts, hooks, timers, maxSegments, offerRefillMs });
    this.maxLinks = Math.max(1, Math.min(maxLinks, neighbours + linkMargin));
    this.now = now || linkOpts?.now || (() => Date.now());
    this.offerTokens = Math.max(1, neighbours);
    this.offerTokensAt = this.now();
    this.links = new Map(); // remote peer id -> state {link, holdings, initiator}
    this.connecting = new Set(); // RtcPeers, and links before their handshake
    this.tracker = null;
    this.reannounceTimer = null;
    this.backoff = 0;
    this.announces = 0; // re-announces after losses
    this.counts = { linksOpened: 0, linksClosed: 0, extraPeerConnections: 0, offersRefused: 0 };
    // Connections tried and links opened, to other viewers and to the box (isolation detection).
    this.tries = { viewersTried: 0, viewersOpened: 0, boxTried: 0, boxOpened: 0 };
    this.destroyed = false;
  }

  /** Announces to the tracker (once per session; the client re-announces at its interval). */
  start({ trackerUrl, infoHash, peerId, RTCPeerConnection, rtcConfig, peerOpts, onWarning }) {
    this.tracker = startTracker({
      trackerUrl, infoHash, peerId, RTCPeerConnection, rtcConfig, peerOpts, onWarning,
      numwant: () => this.freeSlots(),
      offers: (n) => this.takeOffers(n),
      onAnswered: () => this.giveOffer(),
      now: this.now,
      allowPeer: () => {
        if (this.size() < this.maxLinks) return true;
        this.counts.offersRefused++;
        return false;
      },
      onPeer: (peer) => this.onPeer(peer),
    });
  }

  get peerConnectionsCreated() {
    return (this.tracker?.created || 0) + this.counts.extraPeerConnections;
  }

  /** Links open or being set up (answered offers, offers taken, data channels in their handshake). */
  size() {
    return this.links.size + this.connecting.size;
  }

  freeSlots() {
    return Math.max(0, this.want - this.size());
  }

  /** Own offers out and not answered yet. */
  pendingOffers() {
    return this.tracker?.pendingOffers || 0;
  }

  /** Offers an announce of `numwant` may carry now; takes them from the budget. */
  takeOffers(numwant) {
    const now = this.now();
    const refill = Math.floor((now - this.offerTokensAt) / this.offerRefillMs);
    const cap = Math.max(1, this.want);
    if (refill > 0) {
      this.offerTokens = Math.min(cap, this.offerTokens + refill);
      this.offerTokensAt = this.offerTokens === cap ? now : this.offerTokensAt + refill * this.offerRefillMs;
    }
    const n = Math.max(0, Math.min(numwant, this.freeSlots() - this.pendingOffers(), this.offerTokens));
    this.offerTokens -= n;
    return n;
  }

  /** One offer back to the budget (an offer was answered, or a link was lost). */
  giveOffer() {
    this.offerTokens = Math.min(Math.max(1, this.want), this.offerTokens + 1);
  }

  /** Ready links' states. */
  ready() {
    return [...this.links.values()];
  }

  /** The connection being set up with remote peer `id`, if any. */
  connectingWith(id) {
    for (const c of this.connecting) if (c.id === id || c.peerId === id) return c;
    return null;
  }

  onPeer(peer) {
    if (this.destroyed || this.links.has(peer.id)) return peer.destroy();
    // Two peers may offer to each other at once: both ends keep the connection the lower peer id
    // initiated (the same rule as for links, see prefer).
    const other = this.connectingWith(peer.id);
    if (other) {
      if (!this.prefer({ initiator: peer.initiator, peerId: peer.id }, { initiator: other.initiator })) return peer.destroy();
      other.superseded = true;
      (other.close || other.destroy).call(other, 'duplicate link');
    }
    this.connecting.add(peer);
    this.countTry(peer);
    peer.once('connect', () => {
      this.connecting.delete(peer);
      this.addChannel(peer.channel, { initiator: peer.initiator, peer });
    });
    peer.once('close', () => {
      if (this.connecting.delete(peer) && !peer.superseded) this.lost();
    });
  }

  /** Counts a connection attempt when it concludes: connected (tried and opened) or closed
   * before connecting (tried only); one superseded by a crossing offer is not an attempt. */
  countTry(peer) {
    const kind = String(peer.id).startsWith(BOX_PREFIX_HEX) ? 'box' : 'viewers';
    let settled = false;
    const settle = (opened) => {
      if (settled || (!opened && peer.superseded)) return;
      settled = true;
      this.tries[`${kind}Tried`]++;
      if (opened) this.tries[`${kind}Opened`]++;
    };
    peer.once('connect', () => settle(true));
    peer.once('close', () => settle(false));
  }

  /** Runs a live link over an open data channel (from the tracker's peers, or given directly). */
  addChannel(channel, { initiator = false, peer = null } = {}) {
    const link = new LiveLink({ channel, ...this.linkOpts });
    link.initiator = initiator;
    const state = { link, initiator, peer, holdings: new Holdings(this.maxSegments) };
    this.connecting.add(link);
    link.once('ready', () => {
      this.connecting.delete(link);
      this.onReady(state);
    });
    link.once('close', () => {
      this.connecting.delete(link);
      peer?.destroy();
      if (this.links.get(link.peerId) !== state) return; // a duplicate or never ready: no slot freed
      this.links.delete(link.peerId);
      this.counts.linksClosed++;
      this.giveOffer();
      this.hooks.onClose(state);
      this.lost();
    });
    return link;
  }

  onReady(state) {
    const id = state.link.peerId;
    const old = this.links.get(id);
    if (old && !this.prefer({ initiator: state.initiator, peerId: id }, old)) return state.link.close('duplicate link');
    if (!old && this.links.size >= this.maxLinks) return state.link.close('too many links');
    this.links.set(id, state); // before closing the old one, so its close is not counted as a loss
    old?.link.close('duplicate link');
    this.counts.linksOpened++;
    this.backoff = 0;
    this.hooks.onReady(state);
  }

  /** Whether new connection `a` ({initiator, peerId}) wins over `b` to the same peer: both ends
   * keep the one the lower peer id initiated; of two alike the older stays. */
  prefer(a, b) {
    if (a.initiator === b.initiator) return false;
    return a.initiator === (this.linkOpts.peerId < a.peerId);
  }

  /**
   * A link or a connection was lost: announce again for the free slots, soon after the first
   * loss, then backing off (doubling to 60 s) while announces bring no new link.
   */
  lost() {
    if (this.destroyed || this.reannounceTimer || !this.tracker) return;
    const delay = Math.min(this.reannounceMs * 2 ** this.backoff, 60000);
    this.reannounceTimer = this.timers.setTimeout(() => this.reannounce(), delay);
  }

  reannounce() {
    this.reannounceTimer = null;
    const n = this.freeSlots();
    if (n <= 0 || this.destroyed) return;
    if (n - this.pendingOffers() <= 0) {
      // offers of the last announce may still be answered: look again when they settled
      this.reannounceTimer = this.timers.setTimeout(() => this.reannounce(), 500);
      return;
    }
    this.backoff++;
    this.announces++;
    this.tracker.announce(n);
  }

  tick(now) {
    for (const c of this.connecting) if (c instanceof LiveLink) c.tick(now);
    for (const s of this.links.values()) s.link.tick(now);
  }

  destroy() {
    this.destroyed = true;
    this.timers.clearTimeout(this.reannounceTimer);
    this.tracker?.destroy();
    for (const c of [...this.connecting]) (c.close || c.destroy).call(c, 'engine stopped');
    for (const s of [...this.links.values()]) s.link.close('engine stopped');
  }
}
