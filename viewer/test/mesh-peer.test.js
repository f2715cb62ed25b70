// RtcPeer on a fake RTCPeerConnection and hand-run timers: an unanswered offer is given up after
// the answer wait (5 s), and no remote description reaches a closed peer connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtcPeer, PEER_DEFAULTS } from '../src/mesh/rtc-peer.js';

function fakeTimers() {
  let id = 0;
  const timers = {
    t: 0,
    list: new Map(),
    setTimeout(fn, ms) {
      timers.list.set(++id, { fn, at: timers.t + ms });
      return id;
    },
    clearTimeout(i) {
      timers.list.delete(i);
    },
    advance(ms) {
      timers.t += ms;
      for (const [i, x] of [...timers.list]) {
        if (x.at <= timers.t && timers.list.delete(i)) x.fn();
      }
    },
  };
  return timers;
}

class FakePc {
  static made = [];
  constructor() {
    this.remote = [];
    this.connectionState = 'new';
    this.signalingState = 'stable';
    this.iceGatheringState = 'new';
    this.localDescription = null;
    FakePc.made.push(this);
  }
  addEventListener() {}
  removeEventListener() {}
  createDataChannel() {
    return { readyState: 'connecting', addEventListener() {}, close() {} };
  }
  async createOffer() {
    return { type: 'offer', sdp: 'v=0 offer' };
  }
  async createAnswer() {
    return { type: 'answer', sdp: 'v=0 answer' };
  }
  async setLocalDescription(d) {
    this.localDescription = d;
    this.iceGatheringState = 'complete';
    if (d.type === 'offer') this.signalingState = 'have-local-offer';
  }
  async setRemoteDescription(d) {
    if (this.connectionState === 'closed') throw new Error('Got a remote candidate without ICE transport');
    this.remote.push(d.type);
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  close() {
    this.connectionState = 'closed';
    this.signalingState = 'closed';
  }
}

const flush = () => new Promise((r) => setImmediate(r));

test('an offer nobody answers is given up after 5 s, quietly; an answered one gets the connect timeout', async () => {
  assert.equal(PEER_DEFAULTS.answerTimeoutMs, 5000);
  const timers = fakeTimers();
  const p = new RtcPeer({ RTCPeerConnection: FakePc, initiator: true, timers });
  const signals = [];
  const errors = [];
  p.on('signal', (d) => signals.push(d));
  p.on('error', (e) => errors.push(e));
  await flush();
  assert.equal(signals.length, 1);
  timers.advance(4999);
  assert.ok(!p.destroyed);
  timers.advance(1);
  assert.ok(p.destroyed, 'no answer within 5 s');
  assert.equal(errors.length, 0, 'an unanswered offer is no error');
  assert.equal(p.pc.connectionState, 'closed');

  const q = new RtcPeer({ RTCPeerConnection: FakePc, initiator: true, timers });
  await flush();
  timers.advance(4000);
  q.signal({ type: 'answer', sdp: 'v=0 answer' });
  await flush();
  assert.ok(q.answered);
  timers.advance(5000);
  assert.ok(!q.destroyed, 'once answered, the data channel has the connect timeout');
  timers.advance(PEER_DEFAULTS.connectTimeoutMs);
  assert.ok(q.destroyed);
});

test('no remote description reaches a closed peer connection, and an answer is taken once', async () => {
  const timers = fakeTimers();
  const late = new RtcPeer({ RTCPeerConnection: FakePc, initiator: true, timers });
  await flush();
  late.destroy();
  late.signal({ type: 'answer', sdp: 'v=0 answer' }); // the answer after the offer was given up
  assert.deepEqual(late.pc.remote, []);

  // closed underneath (libdatachannel's state before its event is dispatched)
  const under = new RtcPeer({ RTCPeerConnection: FakePc, initiator: true, timers });
  const errors = [];
  under.on('error', (e) => errors.push(e));
  await flush();
  under.pc.close();
  under.signal({ type: 'answer', sdp: 'v=0 answer' });
  await flush();
  assert.deepEqual(under.pc.remote, []);
  assert.deepEqual(errors, []);

  const twice = new RtcPeer({ RTCPeerConnection: FakePc, initiator: true, timers });
  await flush();
  twice.signal({ type: 'answer', sdp: 'v=0 answer' });
  twice.signal({ type: 'answer', sdp: 'v=0 answer' });
  twice.signal({ type: 'offer', sdp: 'v=0 offer' });
  await flush();
  assert.deepEqual(twice.pc.remote, ['answer']);

  // the answering side: an offer once; one for a destroyed peer makes no peer connection
  const before = FakePc.made.length;
  const gone = new RtcPeer({ RTCPeerConnection: FakePc, timers });
  gone.destroy();
  gone.signal({ type: 'offer', sdp: 'v=0 offer' });
  assert.equal(FakePc.made.length, before);
  const ans = new RtcPeer({ RTCPeerConnection: FakePc, timers });
  const answers = [];
  ans.on('signal', (d) => answers.push(d));
  ans.signal({ type: 'offer', sdp: 'v=0 offer' });
  ans.signal({ type: 'offer', sdp: 'v=0 offer' });
  await flush();
  await flush();
  assert.deepEqual(ans.pc.remote, ['offer']);
  assert.equal(answers.length, 1);
  assert.ok(!ans.destroyed);
  for (const p of [twice, ans]) p.destroy();
});
