// The stream swarm's announces, with npm `bittorrent-tracker`'s client (as webtorrent uses it):
// one client for the session, `numwant` = free neighbour slots on every announce (the box's
// tracker keeps it as this peer's free slots), peers built on the injected RTCPeerConnection.
import Client from 'bittorrent-tracker/client';
import { RtcPeer } from './rtc-peer.js';

/** The tracker client reads `process.browser` when constructed; pages have no `process`. */
function ensureProcess() {
  if (typeof globalThis.process === 'undefined') globalThis.process = { browser: true, env: {} };
}

/**
 * Starts announcing. `makePeer(opts)` may return null to refuse a remote offer (no slot);
 * `onPeer(peer)` gets every peer (its `id` set) before it connects and may destroy it (no
 * RTCPeerConnection is made for a remote offer refused then); `numwant()` the free slots.
 */
export function startTracker({ trackerUrl, infoHash, peerId, RTCPeerConnection, rtcConfig, peerOpts, numwant, onPeer, onWarning, allowPeer, offers, onAnswered,
  now = () => Date.now(), offerGraceMs = 2500 }) {
  ensureProcess();
  const client = new Client({
    infoHash,
    peerId,
    announce: [trackerUrl],
    port: 443, // unused by WebSocket trackers; required in Node
    rtcConfig,
    wrtc: { RTCPeerConnection }, // honoured by old simple-peer only; see createPeer below
    getAnnounceOpts: () => ({ numwant: numwant() }),
  });
  let created = 0;
  let unanswered = 0;
  const pending = new Map(); // own offers not answered yet -> when made
  const createPeer = (tracker, opts = {}) => {
    if (!opts.initiator && !allowPeer()) return refusedPeer();
    const peer = new RtcPeer({ RTCPeerConnection, config: rtcConfig, initiator: !!opts.initiator, onCreate: () => created++, ...peerOpts });
    if (peer.initiator) {
      pending.set(peer, now());
      peer.once('close', () => pending.delete(peer) && !peer.answered && unanswered++);
    }
    const onError = (err) => {
      client.emit('warning', new Error(`Connection error: ${err.message}`));
      peer.destroy();
    };
    peer.once('error', onError);
    peer.once('connect', () => peer.off('error', onError));
    return peer;
  };
  // The WebSocket tracker builds peers in `_createPeer` with simple-peer, which would use its own
  // RTCPeerConnection: route them to ours. An announce still states `numwant` (the free slots)
  // but carries only `offers(numwant)` offers (never more than the slots not already being
  // offered, within the offer budget): an unanswered offer costs a peer connection.
  let offersMade = 0;
  for (const tracker of client._trackers) {
    tracker._createPeer = (opts) => createPeer(tracker, opts);
    const generate = tracker._generateOffers.bind(tracker);
    tracker._generateOffers = (n, cb) => {
      const k = Math.max(0, Math.min(n, offers ? offers(n) : n));
      offersMade += k;
      generate(k, cb);
    };
  }
  client.on('peer', (peer) => {
    if (!(peer instanceof RtcPeer)) return;
    if (pending.delete(peer)) onAnswered?.(peer);
    onPeer(peer);
  });
  client.on('warning', (e) => onWarning?.(e));
  client.on('error', (e) => onWarning?.(e));
  client.start();
  return {
    client,
    get created() {
      return created;
    },
    get offersMade() {
      return offersMade;
    },
    /**
     * Own offers out, not answered, and young enough to be answered still: the tracker relays an
     * answer within 1-2 s when it routed the offer, so an older one most likely went nowhere
     * (it is still taken if its answer comes within the answer wait).
     */
    get pendingOffers() {
      const t = now();
      let n = 0;
      for (const at of pending.values()) if (t - at < offerGraceMs) n++;
      return n;
    },
    /** Own offers given up unanswered. */
    get offersUnanswered() {
      return unanswered;
    },
    /** Announces now, asking for `n` more neighbours. */
    announce(n) {
      if (!client.destroyed) client.update({ numwant: n });
    },
    destroy() {
      if (client.destroyed) return;
      try {
        client.stop();
      } catch {
        // socket gone
      }
      client.destroy();
    },
  };
}

/** A peer that never answers: the tracker's offer is dropped without a peer connection. */
function refusedPeer() {
  const noop = () => {};
  const peer = { destroyed: true, once: noop, on: noop, off: noop, removeListener: noop, signal: noop, destroy: noop, emit: noop };
  return peer;
}
