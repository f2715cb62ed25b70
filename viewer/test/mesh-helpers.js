// Shared parts of the mesh tests: in-memory data channel pairs, segments with real torrents,
// a controllable clock.
import { randomBytes, createHash } from 'node:crypto';

/** Two connected fake RTCDataChannels; messages arrive asynchronously, in order. */
export function channelPair() {
  const a = fakeChannel();
  const b = fakeChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

function fakeChannel() {
  const ch = {
    readyState: 'open',
    bufferedAmount: 0,
    binaryType: 'blob',
    sent: 0,
    onmessage: null,
    onclose: null,
    onerror: null,
    send(data) {
      if (ch.readyState !== 'open') throw new Error('channel closed');
      const copy = new Uint8Array(data).slice().buffer;
      ch.sent += copy.byteLength;
      setImmediate(() => ch.peer.readyState === 'open' && ch.peer.onmessage?.({ data: copy }));
    },
    close() {
      if (ch.readyState === 'closed') return;
      ch.readyState = 'closed';
      setImmediate(() => ch.peer.close());
      setImmediate(() => ch.onclose?.());
    },
  };
  return ch;
}

/** Random segment bytes and the parsed-torrent shape the engine takes. */
export function makeSegment(seq, length, pieceLength = 16384) {
  const data = new Uint8Array(randomBytes(length));
  const pieceHashes = [];
  for (let at = 0; at < length; at += pieceLength) {
    pieceHashes.push(new Uint8Array(createHash('sha1').update(data.subarray(at, at + pieceLength)).digest()));
  }
  return { seq, data, torrent: { pieceLength, length, pieceHashes } };
}

/** A clock tests move by hand. */
export function fakeClock(start = 1000) {
  const clock = { t: start, now: () => clock.t, advance: (ms) => (clock.t += ms) };
  return clock;
}

export const hexId = (prefix = '') => {
  const p = Buffer.from(prefix).toString('hex');
  return p + randomBytes(20).toString('hex').slice(p.length);
};

export const until = async (pred, ms = 10000, step = 10) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, step));
  }
};
