// What the mesh's npm parts (bittorrent-tracker and bittorrent-protocol, through uint8-util's
// browser build) expect and a plain-HTTP page or an older browser lacks:
// crypto.subtle.digest('SHA-1') outside secure contexts and Uint8Array hex/base64 methods.
import { sha1, toHex } from './sha1.js';

function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const subtleShim = {
  digest(algorithm, data) {
    const name = (typeof algorithm === 'string' ? algorithm : algorithm?.name || '').toUpperCase();
    if (name !== 'SHA-1') return Promise.reject(new Error(`digest ${name} unavailable without HTTPS`));
    return Promise.resolve(sha1(bytesOf(data)).buffer);
  },
};

/** Installs the shims that are missing; idempotent. */
export function installPolyfills() {
  const c = globalThis.crypto;
  if (c && !c.subtle) Object.defineProperty(c, 'subtle', { value: subtleShim, configurable: true });
  const proto = Uint8Array.prototype;
  if (!proto.toHex) proto.toHex = function hex() { return toHex(this); };
  if (!Uint8Array.fromHex) {
    Uint8Array.fromHex = (s) => Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
  }
  if (!proto.toBase64) {
    proto.toBase64 = function b64() {
      let bin = '';
      for (let i = 0; i < this.length; i += 0x8000) bin += String.fromCharCode(...this.subarray(i, i + 0x8000));
      return btoa(bin);
    };
  }
  if (!Uint8Array.fromBase64) Uint8Array.fromBase64 = (s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
}
