// One WebRTC peer connection with one data channel, on an injected RTCPeerConnection
// constructor (the browser's, or node-datachannel's polyfill in Node). It speaks the part of
// simple-peer's interface that bittorrent-tracker's WebSocket tracker uses (`signal` events with
// a complete offer or answer, `signal(desc)`, `connect`, `error`, `close`, `destroy`), because
// @thaunknown/simple-peer 10 ignores the tracker's `wrtc` option and always takes
// RTCPeerConnection from `webrtc-polyfill`.
import { Emitter } from './emitter.js';

export const PEER_DEFAULTS = Object.freeze({
  gatherTimeoutMs: 2000, // send the description with what was gathered by then
  answerTimeoutMs: 5000, // an offer unanswered this long is given up (the tracker relays an answer in ~1-2 s on a LAN)
  connectTimeoutMs: 15000, // the data channel must open within this (after the answer, or from an offer taken)
});

export class RtcPeer extends Emitter {
  /**
   * `RTCPeerConnection`: the constructor; `config`: its configuration; `initiator`: makes the
   * offer and the data channel; `timers`: {setTimeout, clearTimeout}.
   */
  constructor({ RTCPeerConnection, config = {}, initiator = false, timers = globalThis, onCreate, ...opts }) {
    super();
    this.opts = { ...PEER_DEFAULTS, ...opts };
    Object.assign(this, { RTCPeerConnection, config, initiator, timers, onCreate });
    this.destroyed = false;
    this.connected = false;
    this.channel = null;
    this.id = null; // the remote peer id (hex), set by the tracker client
    this.pc = null; // made for an offer at once, for an answer when the offer is taken
    this.answered = false; // an initiator got its answer
    this.offerSent = false; // an initiator's offer went out (waiting for the answer)
    this.connectTimer = null;
    this.armConnectTimer();
    if (initiator) {
      this.createPc();
      this.attach(this.pc.createDataChannel('vb_live', { ordered: true }));
      this.describe(() => this.pc.createOffer());
    }
  }

  armConnectTimer(ms = this.opts.connectTimeoutMs, why = 'connect timeout') {
    if (this.connectTimer) this.timers.clearTimeout(this.connectTimer);
    this.connectTimer = this.timers.setTimeout(() => {
      this.connectTimer = null;
      this.destroy(this.initiator && !this.answered ? null : new Error(why));
    }, ms);
  }

  /** Whether the peer connection can still take a remote description. */
  usable() {
    const pc = this.pc;
    return !this.destroyed && (!pc || (pc.connectionState !== 'closed' && pc.connectionState !== 'failed' && pc.signalingState !== 'closed'));
  }

  createPc() {
    this.pc = new this.RTCPeerConnection(this.config);
    this.onCreate?.();
    this.pc.addEventListener('connectionstatechange', () => this.onState());
    if (!this.initiator) this.pc.addEventListener('datachannel', (ev) => this.attach(ev.channel));
  }

  removeListener(name, fn) {
    return this.off(name, fn);
  }

  /** Takes the remote offer (answering it) or answer. */
  signal(desc) {
    // A description (and the candidates in its SDP) must never reach a closed or failed peer
    // connection: libdatachannel then logs "Got a remote candidate without ICE transport".
    if (!this.usable()) return;
    let d;
    try {
      d = typeof desc === 'string' ? JSON.parse(desc) : desc;
    } catch {
      d = null;
    }
    if (!d || (d.type !== 'offer' && d.type !== 'answer') || typeof d.sdp !== 'string') {
      return this.destroy(new Error('bad description'));
    }
    if (d.type === 'answer') {
      // only an initiator whose offer is out takes one answer, once
      if (!this.initiator || !this.pc) return this.destroy(new Error('an answer to no offer'));
      if (this.answered || this.pc.signalingState !== 'have-local-offer') return;
      this.answered = true;
      this.armConnectTimer();
    } else if (this.initiator || this.pc) {
      return; // a second offer, or an offer to an offerer: ignored
    }
    if (!this.pc) this.createPc();
    let remote;
    try {
      remote = Promise.resolve(this.pc.setRemoteDescription({ type: d.type, sdp: d.sdp }));
    } catch (e) {
      remote = Promise.reject(e);
    }
    if (d.type === 'offer') this.describe(() => remote.then(() => this.pc.createAnswer()));
    else remote.catch((e) => this.destroy(e));
  }

  async describe(make) {
    try {
      const desc = await make();
      if (this.destroyed) return;
      await this.pc.setLocalDescription(desc);
      await this.gathered();
      if (this.destroyed) return;
      const local = this.pc.localDescription;
      if (this.initiator) {
        this.offerSent = true;
        this.armConnectTimer(this.opts.answerTimeoutMs, 'no answer');
      }
      this.emit('signal', { type: local.type, sdp: local.sdp });
    } catch (e) {
      this.destroy(e);
    }
  }

  /** Resolves when ICE gathering completed, a null candidate came, or the timeout passed. */
  gathered() {
    const pc = this.pc;
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.timers.clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', onState);
        pc.removeEventListener('icecandidate', onCandidate);
        resolve();
      };
      const onState = () => pc.iceGatheringState === 'complete' && done();
      const onCandidate = (ev) => !ev.candidate && done();
      const timer = this.timers.setTimeout(done, this.opts.gatherTimeoutMs);
      pc.addEventListener('icegatheringstatechange', onState);
      pc.addEventListener('icecandidate', onCandidate);
    });
  }

  attach(channel) {
    if (this.channel) return channel.close();
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    const open = () => {
      if (this.destroyed || this.connected) return;
      this.connected = true;
      this.timers.clearTimeout(this.connectTimer);
      this.emit('connect');
    };
    channel.addEventListener('open', open);
    channel.addEventListener('close', () => this.destroy());
    if (channel.readyState === 'open') open();
  }

  onState() {
    if (this.destroyed) return;
    const s = this.pc.connectionState;
    if (s === 'failed' || s === 'closed') this.destroy(s === 'failed' ? new Error('connection failed') : null);
  }

  destroy(err) {
    if (this.destroyed) return;
    this.destroyed = true;
    this.timers.clearTimeout(this.connectTimer);
    try {
      this.channel?.close();
      this.pc?.close();
    } catch {
      // already closed
    }
    if (err) this.emit('error', err);
    this.emit('close');
  }
}
