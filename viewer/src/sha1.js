// SHA-1 in plain JavaScript, for pages that are not a secure context (http://venuebox.local),
// where crypto.subtle does not exist; also installed as a crypto.subtle stand-in for webtorrent.

/** SHA-1 digest of `data` (a Uint8Array) as a 20-byte Uint8Array. */
export function sha1(data) {
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);
  const w = new Int32Array(80);
  const full = data.length - (data.length % 64);
  for (let off = 0; off < full; off += 64) block(h, w, data, off);
  const tail = new Uint8Array(data.length % 64 < 56 ? 64 : 128);
  tail.set(data.subarray(full));
  tail[data.length - full] = 0x80;
  const bits = data.length * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.length - 4, bits >>> 0);
  for (let off = 0; off < tail.length; off += 64) block(h, w, tail, off);
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 5; i++) outView.setInt32(i * 4, h[i]);
  return out;
}

function block(h, w, d, off) {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    w[i] = (d[j] << 24) | (d[j + 1] << 16) | (d[j + 2] << 8) | d[j + 3];
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0], b = h[1], c = h[2], e = h[3], f = h[4], t = 0;
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & e)) + 0x5a827999 + f + w[i]) | 0;
    (f = e), (e = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = t);
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ e) + 0x6ed9eba1 + f + w[i]) | 0;
    (f = e), (e = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = t);
  }
  for (let i = 40; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & e) | (c & e)) - 0x70e44324 + f + w[i]) | 0;
    (f = e), (e = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = t);
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ e) - 0x359d3e2a + f + w[i]) | 0;
    (f = e), (e = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = t);
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + e) | 0;
  h[4] = (h[4] + f) | 0;
}

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
