// Draws the app icons (a white play triangle in a red ring on black) as PNGs into public/icons;
// run with `node tools/make-icons.mjs` after changing the design. Plain Node, no dependencies.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function pixel(x, y, size, safe) {
  const c = size / 2;
  const r = Math.hypot(x - c, y - c) / (size / 2) / safe;
  const u = (x - c) / (size * safe), v = (y - c) / (size * safe);
  const inTriangle = u > -0.16 && u < 0.24 && Math.abs(v) < (0.24 - u) * 0.75;
  if (inTriangle) return [255, 255, 255];
  if (r > 0.72 && r < 0.86) return [229, 57, 53];
  return [0, 0, 0];
}

function png(size, safe) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b] = pixel(x + 0.5, y + 0.5, size, safe);
      raw.set([r, g, b], y * (size * 3 + 1) + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const dir = new URL('../public/icons/', import.meta.url);
writeFileSync(new URL('icon-192.png', dir), png(192, 1));
writeFileSync(new URL('icon-512.png', dir), png(512, 1));
writeFileSync(new URL('icon-maskable-512.png', dir), png(512, 0.8));
