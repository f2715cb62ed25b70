// The live payload codec against every shared byte vector (the Rust codec reads the same file)
// and round trips of every message type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { decode, encode, LiveCodecError, MAX_SEQ, MAX_PIECES } from '../src/mesh/codec.js';

const VECTORS = new URL('../../appliance/proto/testdata/live/vectors.json', import.meta.url);
const vectors = JSON.parse(readFileSync(VECTORS, 'utf8'));
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');

/** A decoded message in the vectors' JSON shape (block data as `data_hex`). */
function asVector(m) {
  if (m.type !== 'block') return m;
  const { data, ...rest } = m;
  return { ...rest, data_hex: toHex(data) };
}

function fromVector(m) {
  if (m.type !== 'block') return m;
  const { data_hex: hex, ...rest } = m;
  return { ...rest, data: fromHex(hex) };
}

test('the vectors file has valid and invalid cases', () => {
  assert.ok(vectors.filter((v) => v.message).length >= 10);
  assert.ok(vectors.filter((v) => v.error).length >= 10);
});

for (const v of vectors) {
  if (v.message) {
    test(`vector ${v.name}: decodes and encodes back to the same bytes`, () => {
      const bytes = fromHex(v.hex);
      assert.deepEqual(asVector(decode(bytes)), v.message);
      assert.equal(toHex(encode(fromVector(v.message))), v.hex);
    });
  } else {
    test(`vector ${v.name}: rejected with ${v.error}`, () => {
      assert.throws(() => decode(fromHex(v.hex)), (e) => e instanceof LiveCodecError && e.code === v.error);
    });
  }
}

test('round trips of every type at the bounds', () => {
  const msgs = [
    { type: 'have', seq: 0, count: 1, pieces: [0] },
    { type: 'have', seq: MAX_SEQ, count: MAX_PIECES, pieces: [0, 7, 8, 511, 1023] },
    { type: 'have', seq: 12, count: 13, pieces: [1, 12] },
    { type: 'have_piece', seq: 2 ** 32, piece: MAX_PIECES - 1 },
    { type: 'request', seq: 2 ** 32 - 1, piece: 0, begin: 0xffffffff, length: 1 },
    { type: 'cancel', seq: 1, piece: 3, begin: 16384, length: 16384 },
    { type: 'reject', seq: 1, piece: 3, begin: 0, length: 100 },
    { type: 'block', seq: 77, piece: 9, begin: 32768, data: new Uint8Array(randomBytes(16384)) },
    { type: 'block', seq: 77, piece: 9, begin: 0, data: new Uint8Array([42]) },
    { type: 'gone', seq: MAX_SEQ },
  ];
  for (const m of msgs) assert.deepEqual(decode(encode(m)), m, m.type);
});

test('encode refuses what decode would reject', () => {
  const bad = [
    [{ type: 'nope', seq: 1 }, 'unknown_type'],
    [{ type: 'gone', seq: MAX_SEQ + 1 }, 'seq_out_of_range'],
    [{ type: 'gone', seq: -1 }, 'seq_out_of_range'],
    [{ type: 'have', seq: 1, count: 1025, pieces: [] }, 'too_many_pieces'],
    [{ type: 'have', seq: 1, count: 4, pieces: [4] }, 'spare_bits'],
    [{ type: 'have_piece', seq: 1, piece: 1024 }, 'too_many_pieces'],
    [{ type: 'request', seq: 1, piece: 0, begin: 0, length: 0 }, 'bad_block_length'],
    [{ type: 'request', seq: 1, piece: 0, begin: 0, length: 16385 }, 'bad_block_length'],
    [{ type: 'block', seq: 1, piece: 0, begin: 0, data: new Uint8Array(0) }, 'bad_block_length'],
  ];
  for (const [m, code] of bad) assert.throws(() => encode(m), (e) => e.code === code, JSON.stringify(m));
});

test('decode throws only LiveCodecError on random bytes', () => {
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(randomBytes(1 + (i % 40)));
    b[0] = 1 + (i % 8);
    try {
      decode(b);
    } catch (e) {
      assert.ok(e instanceof LiveCodecError, e.stack);
    }
  }
});
