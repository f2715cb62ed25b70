// One live link over one data channel (docs/LIVE-MESH.md, "The wire"): WebTorrent's own
// `bittorrent-protocol` wire does the handshake on the stream swarm's info hash and the BEP 10
// extended handshake; the `vb_live` extension carries the live payloads (codec.js). The link
// checks every message against the segment's torrent, keeps the per-link bounds (32 requests each
// way, 4 MiB send queue, frame size) and closes on any rule break or timeout.
import Wire from 'bittorrent-protocol';
import { decode, encode, LiveCodecError } from './codec.js';
import { Emitter } from './emitter.js';

export const EXTENSION = 'vb_live';
/** Hex of the peer-id prefix of the box's seeder (`-VB`). */
export const BOX_PREFIX_HEX = '2d5642';

export const LIMITS = Object.freeze({
  maxRequests: 32, // outstanding requests each way
  maxQueueBytes: 4 << 20, // bytes queued for sending
  drainTimeoutMs: 10000, // a queue that does not drain for this long closes the link
  maxFrame: 16384 + 32, // largest peer wire frame accepted
  handshakeTimeoutMs: 10000,
  requestTimeoutMs: 5000, // an own request unanswered this long is cancelled (and asked elsewhere)
  idleTimeoutMs: 120000, // nothing received for this long closes the link
  keepAliveMs: 30000, // a keep-alive after this long without sending
});
const LOW_WATER = 1 << 20; // held-back blocks go out when the channel's queue falls below this
const HANDSHAKE_LEN = 68;
const SEND_CHUNK = 64 * 1024;

const LATE_MS = 60000; // a block this long after its request timed out is no longer called late
const MAX_LATE = 1024;

const keyOf = (seq, piece, begin) => `${seq}:${piece}:${begin}`;

/** Builds the `vb_live` extension class for `wire.use`, feeding payloads to `onPayload`. */
export function liveExtension(onPayload) {
  class VbLive {
    constructor(wire) {
      this.wire = wire;
    }
    onMessage(buf) {
      onPayload(buf);
    }
  }
  VbLive.prototype.name = EXTENSION;
  return VbLive;
}

/** Checks frame lengths of the inbound byte stream before the wire buffers them. */
export class FrameGuard {
  constructor(maxFrame) {
    this.maxFrame = maxFrame;
    this.skip = HANDSHAKE_LEN;
    this.len = 0;
    this.lenBytes = 0;
  }

  /** False when `bytes` carry a frame longer than allowed. */
  check(bytes) {
    let i = 0;
    while (i < bytes.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.len = this.len * 256 + bytes[i++];
      if (++this.lenBytes < 4) continue;
      if (this.len > this.maxFrame) return false;
      this.skip = this.len;
      this.len = 0;
      this.lenBytes = 0;
    }
    return true;
  }
}

/**
 * A live link. `channel` is an open RTCDataChannel (or anything with send, bufferedAmount and
 * message/close events); `segmentInfo(seq)` returns `{count, pieceSize(i)}` for a window
 * segment or null. Events: ready, have, have_piece, request, cancel, block, reject, gone,
 * timeout (an own request given up), close (reason). A `block` event carries `requested` (an
 * answer to an outstanding own request) and `late` (an answer to one that timed out).
 */
export class LiveLink extends Emitter {
  constructor({ channel, infoHash, peerId, segmentInfo, now = () => Date.now(), limits = {}, client = 'VenueBox' }) {
    super();
    this.channel = channel;
    this.infoHash = infoHash;
    this.segmentInfo = segmentInfo;
    this.now = now;
    this.limits = { ...LIMITS, ...limits };
    this.peerId = null;
    this.ready = false;
    this.closed = false;
    this.closeReason = null;
    this.out = new Map(); // own requests: key -> {seq, piece, begin, length, at}
    this.late = new Map(); // own requests given up (timed out): key -> when; a block for one is late, not a push
    this.peerRequests = new Set(); // keys the peer asked for, not yet answered
    this.pending = []; // wire output not yet handed to the channel
    this.pendingBytes = 0;
    this.held = []; // blocks held back while the send queue is full: {key, msg}
    this.heldBytes = 0;
    this.guard = new FrameGuard(this.limits.maxFrame);
    const t = now();
    Object.assign(this, { openedAt: t, lastRecvAt: t, lastSendAt: t, lastDrainAt: t, lastBuffered: 0 });
    this.wire = this.makeWire(peerId, client);
    this.attachChannel();
  }

  get isBox() {
    return !!this.peerId && this.peerId.startsWith(BOX_PREFIX_HEX);
  }

  makeWire(peerId, client) {
    const wire = new Wire('webrtc');
    wire.use(liveExtension((buf) => this.onPayload(buf)));
    wire.extendedHandshake = { v: client };
    wire.on('handshake', (infoHash, id, ext) => this.onHandshake(infoHash, id, ext, peerId));
    wire.on('extended', (name) => name === 'handshake' && this.onExtendedHandshake());
    wire.on('data', (chunk) => this.outbox(chunk));
    wire.on('close', () => this.close('wire closed'));
    wire.on('error', (e) => this.close(`wire error: ${e.message}`));
    wire.handshake(this.infoHash, peerId);
    return wire;
  }

  attachChannel() {
    const ch = this.channel;
    ch.binaryType = 'arraybuffer';
    ch.onmessage = (ev) => this.onData(ev.data);
    ch.onclose = () => this.close('channel closed');
    ch.onerror = () => this.close('channel error');
    ch.bufferedAmountLowThreshold = LOW_WATER;
    ch.onbufferedamountlow = () => this.sendHeld();
  }

  onData(data) {
    if (this.closed) return;
    const bytes = data instanceof Uint8Array ? data : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    this.lastRecvAt = this.now();
    if (!this.guard.check(bytes)) return this.close('frame too long');
    this.wire.write(bytes);
  }

  onHandshake(infoHash, id, ext, ownId) {
    if (infoHash !== this.infoHash) return this.close('different info hash');
    if (!ext.extended) return this.close('no BEP 10 support');
    if (id === ownId) return this.close('connected to itself');
    this.peerId = id;
  }

  onExtendedHandshake() {
    if (this.ready || this.closed) return;
    if (!this.wire.peerExtendedMapping[EXTENSION]) return this.close(`peer lacks ${EXTENSION}`);
    this.ready = true;
    this.emit('ready', this.peerId);
  }

  // ---- inbound ----

  onPayload(buf) {
    if (this.closed) return;
    if (!this.ready) return this.close('live message before the extended handshake');
    let msg;
    try {
      msg = decode(buf);
    } catch (e) {
      if (e instanceof LiveCodecError) return this.close(`bad payload: ${e.code}`);
      throw e;
    }
    const why = this.check(msg);
    if (why) return this.close(why);
    this[`on_${msg.type}`](msg);
  }

  /** A rule break of `msg` against its segment's torrent, or null. */
  check(msg) {
    if (msg.type === 'gone' || msg.type === 'request') return null; // unknown seq: answered below
    const info = this.segmentInfo(msg.seq);
    if (!info) return null;
    if (msg.type === 'have') return msg.count === info.count ? null : 'have count differs from the torrent';
    if (msg.piece >= info.count) return 'piece out of range';
    if (msg.type === 'have_piece') return null;
    const length = msg.type === 'block' ? msg.data.length : msg.length;
    return msg.begin + length > info.pieceSize(msg.piece) ? 'block beyond the piece' : null;
  }

  on_have(msg) {
    this.emit('have', msg);
  }

  on_have_piece(msg) {
    this.emit('have_piece', msg);
  }

  on_request(msg) {
    const info = this.segmentInfo(msg.seq);
    const key = keyOf(msg.seq, msg.piece, msg.begin);
    if (info && (msg.piece >= info.count || msg.begin + msg.length > info.pieceSize(msg.piece))) {
      return this.close('request beyond the piece');
    }
    if (this.peerRequests.has(key)) return; // a repeat of an outstanding request
    if (!info || this.peerRequests.size >= this.limits.maxRequests) return this.reject(msg.seq, msg.piece, msg.begin, msg.length);
    this.peerRequests.add(key);
    this.emit('request', msg);
  }

  on_cancel(msg) {
    const key = keyOf(msg.seq, msg.piece, msg.begin);
    if (!this.peerRequests.delete(key)) return; // a cancel for none
    this.dropHeld((k) => k === key);
    this.emit('cancel', msg);
  }

  on_block(msg) {
    const key = keyOf(msg.seq, msg.piece, msg.begin);
    const requested = this.out.get(key)?.length === msg.data.length && this.out.delete(key);
    const late = !requested && this.late.delete(key);
    this.emit('block', { ...msg, requested, late });
  }

  on_reject(msg) {
    if (this.out.delete(keyOf(msg.seq, msg.piece, msg.begin))) this.emit('reject', msg);
  }

  on_gone(msg) {
    for (const [key, r] of this.out) if (r.seq === msg.seq) this.out.delete(key);
    for (const key of this.late.keys()) if (key.startsWith(`${msg.seq}:`)) this.late.delete(key);
    this.forgetPeerRequests(msg.seq);
    this.emit('gone', msg);
  }

  // ---- outbound ----

  send(msg) {
    if (this.closed || !this.ready) return false;
    const payload = encode(msg);
    this.lastSendAt = this.now();
    this.wire.extended(EXTENSION, payload);
    return true;
  }

  /** Whether `bytes` more fit the send queue. */
  canQueue(bytes) {
    return !this.closed && this.queuedBytes() + bytes <= this.limits.maxQueueBytes;
  }

  queuedBytes() {
    return (this.channel.bufferedAmount || 0) + this.pendingBytes;
  }

  /** Free request slots towards the peer. */
  freeRequests() {
    return this.ready && !this.closed ? this.limits.maxRequests - this.out.size : 0;
  }

  request(seq, piece, begin, length) {
    const key = keyOf(seq, piece, begin);
    if (this.freeRequests() <= 0 || this.out.has(key)) return false;
    if (!this.send({ type: 'request', seq, piece, begin, length })) return false;
    this.out.set(key, { seq, piece, begin, length, at: this.now() });
    return true;
  }

  cancel(seq, piece, begin, length) {
    if (this.out.delete(keyOf(seq, piece, begin))) this.send({ type: 'cancel', seq, piece, begin, length });
  }

  /** Whether the peer still waits for this block. */
  isRequested(seq, piece, begin) {
    return this.peerRequests.has(keyOf(seq, piece, begin));
  }

  /** Sends a block (an answer or a push), held back while the send queue is full. */
  sendBlock(seq, piece, begin, data) {
    if (this.closed || !this.ready) return false;
    const key = keyOf(seq, piece, begin);
    this.peerRequests.delete(key);
    const msg = { type: 'block', seq, piece, begin, data };
    if (this.held.length || !this.canQueue(data.length + 32)) {
      this.held.push({ key, msg });
      this.heldBytes += data.length;
      return true;
    }
    return this.send(msg);
  }

  /** Sends held-back blocks while they fit the send queue. */
  sendHeld() {
    while (this.held.length && this.canQueue(this.held[0].msg.data.length + 32)) {
      const { msg } = this.held.shift();
      this.heldBytes -= msg.data.length;
      this.send(msg);
    }
  }

  dropHeld(match) {
    this.held = this.held.filter(({ key, msg }) => !match(key) || void (this.heldBytes -= msg.data.length));
  }

  forgetPeerRequests(seq) {
    for (const key of this.peerRequests) if (key.startsWith(`${seq}:`)) this.peerRequests.delete(key);
    this.dropHeld((key) => key.startsWith(`${seq}:`));
  }

  reject(seq, piece, begin, length) {
    this.peerRequests.delete(keyOf(seq, piece, begin));
    return this.send({ type: 'reject', seq, piece, begin, length });
  }

  have(seq, count, pieces) {
    return this.send({ type: 'have', seq, count, pieces });
  }

  havePiece(seq, piece) {
    return this.send({ type: 'have_piece', seq, piece });
  }

  gone(seq) {
    for (const [key, r] of this.out) if (r.seq === seq) this.out.delete(key);
    for (const key of this.late.keys()) if (key.startsWith(`${seq}:`)) this.late.delete(key);
    this.forgetPeerRequests(seq);
    return this.send({ type: 'gone', seq });
  }

  outbox(chunk) {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  flush() {
    const chunks = this.pending;
    this.pending = []; // wire output not yet handed to the channel
    this.pendingBytes = 0;
    this.held = []; // blocks held back while the send queue is full: {key, msg}
    this.heldBytes = 0;
    if (this.closed || this.channel.readyState !== 'open') return;
    try {
      for (const msg of coalesce(chunks, SEND_CHUNK)) this.channel.send(msg);
    } catch (e) {
      this.close(`send failed: ${e.message}`);
    }
  }

  // ---- time ----

  /** Timeouts: handshake, idle, send queue drain, unanswered requests; keep-alives. */
  tick(now = this.now()) {
    if (this.closed) return;
    const l = this.limits;
    if (!this.ready && now - this.openedAt > l.handshakeTimeoutMs) return this.close('handshake timeout');
    if (now - this.lastRecvAt > l.idleTimeoutMs) return this.close('idle');
    this.sendHeld();
    const buffered = this.queuedBytes() + this.heldBytes;
    if (buffered === 0 || buffered < this.lastBuffered) this.lastDrainAt = now;
    this.lastBuffered = buffered;
    if (now - this.lastDrainAt > l.drainTimeoutMs) return this.close('send queue does not drain');
    for (const [key, at] of this.late) if (now - at > LATE_MS) this.late.delete(key);
    for (const [key, r] of this.out) {
      if (now - r.at <= l.requestTimeoutMs) continue;
      this.out.delete(key);
      this.late.set(key, now);
      if (this.late.size > MAX_LATE) this.late.delete(this.late.keys().next().value);
      this.send({ type: 'cancel', seq: r.seq, piece: r.piece, begin: r.begin, length: r.length });
      this.emit('timeout', r);
    }
    if (this.ready && now - this.lastSendAt > l.keepAliveMs) {
      this.lastSendAt = now;
      this.wire.keepAlive();
    }
  }

  close(reason = 'closed') {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.out.clear();
    this.late.clear();
    this.peerRequests.clear();
    this.wire.removeAllListeners?.('close');
    this.wire.destroy();
    const ch = this.channel;
    ch.onmessage = ch.onclose = ch.onerror = ch.onbufferedamountlow = null;
    this.held = [];
    try {
      ch.close();
    } catch {
      // already closed
    }
    this.emit('close', reason);
  }
}

/** Joins small chunks into messages of at most `max` bytes (larger chunks go alone). */
function* coalesce(chunks, max) {
  let batch = [];
  let size = 0;
  for (const c of chunks) {
    if (size + c.length > max && batch.length) {
      yield join(batch, size);
      batch = [];
      size = 0;
    }
    batch.push(c);
    size += c.length;
  }
  if (batch.length) yield join(batch, size);
}

function join(chunks, size) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
