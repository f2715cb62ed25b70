// Captures BitTorrent wire vectors from the real npm `bittorrent-protocol` (and `ut_metadata`)
// into appliance/proto/testdata/wire/: one .bin per message (the bytes the wire pushed, in
// order) and manifest.json naming each vector's fields. Run: node tests/interop/capture-wire.mjs
import { writeFileSync, mkdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import Wire from 'bittorrent-protocol'
import utMetadata from 'ut_metadata'
import bencode from 'bencode'

const out = join(dirname(fileURLToPath(import.meta.url)), '../../appliance/proto/testdata/wire')
mkdirSync(out, { recursive: true })

const info = bencode.encode({
  length: 40000,
  name: 'seg-00000042.ts',
  'piece length': 16384,
  pieces: Buffer.alloc(60, 0xab)
})
const infoHash = createHash('sha1').update(info).digest('hex')
const peerId = Buffer.from('-WW0300-abcdefghijkl').toString('hex')
const remotePeerId = Buffer.from('-VB0001-remotepeer01').toString('hex')

const wire = new Wire()
wire.use(utMetadata(info))
let chunks = []
wire.on('data', (c) => chunks.push(Buffer.from(c)))
const manifest = []

/** Runs `step`, waits for the wire to flush, saves what it pushed as `name`.bin. */
async function capture (name, fields, step) {
  chunks = []
  await step()
  await new Promise((resolve) => setTimeout(resolve, 20))
  const bytes = Buffer.concat(chunks)
  writeFileSync(join(out, `${name}.bin`), bytes)
  manifest.push({ name, chunks: chunks.map((c) => c.length), ...fields })
}

const peerHandshake = Buffer.concat([
  Buffer.from([19]), Buffer.from('BitTorrent protocol'),
  Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0x04]),
  Buffer.from(infoHash, 'hex'), Buffer.from(remotePeerId, 'hex')
])
const peerExtHandshake = bencode.encode({ m: { ut_metadata: 3 } })
const extFrame = (id, payload) => {
  const b = Buffer.alloc(6)
  b.writeUInt32BE(payload.length + 2, 0); b[4] = 20; b[5] = id
  return Buffer.concat([b, payload])
}

// The remote side speaks first (as a browser does), so the wire answers with its extended handshake.
wire.write(peerHandshake)
await capture('handshake', { info_hash: infoHash, peer_id: peerId, reserved: '0000000000100004' },
  () => wire.handshake(infoHash, peerId, { fast: true }))
wire.write(extFrame(0, peerExtHandshake))
await capture('keep_alive', {}, () => wire.keepAlive())
await capture('unchoke', {}, () => wire.unchoke())
await capture('choke', {}, () => wire.choke())
await capture('interested', {}, () => wire.interested())
await capture('not_interested', {}, () => wire.uninterested())
await capture('have', { index: 5 }, () => wire.have(5))
await capture('have_big', { index: 70000 }, () => wire.have(70000))
const bits = Buffer.from([0xff, 0x80])
await capture('bitfield', { bits: bits.toString('hex') }, () => wire.bitfield(bits))
wire.write(Buffer.from([0, 0, 0, 1, 1])) // the peer unchokes us, so requests go out
wire.unchoke() // and we unchoke it, so its request below is served, not rejected
await new Promise((resolve) => setTimeout(resolve, 20))
await capture('request', { index: 1, begin: 16384, length: 16384 },
  () => new Promise((resolve) => { wire.request(1, 16384, 16384, () => {}); resolve() }))
await capture('cancel', { index: 1, begin: 16384, length: 16384 }, () => wire.cancel(1, 16384, 16384))
const block = Buffer.alloc(16384)
for (let i = 0; i < block.length; i++) block[i] = i % 251
wire.write(Buffer.concat([Buffer.from([0, 0, 0, 13, 6, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x40, 0])]))
await capture('piece', { index: 2, begin: 0, block_len: 16384, block_mod: 251 },
  () => new Promise((resolve) => setTimeout(() => { wire.piece(2, 0, block); resolve() }, 5)))
await capture('port', { port: 6881 }, () => wire.port(6881))
await capture('have_all', {}, () => wire.haveAll())
await capture('have_none', {}, () => wire.haveNone())
await capture('suggest', { index: 7 }, () => wire.suggest(7))
await capture('reject', { index: 1, begin: 0, length: 16384 }, () => wire.reject(1, 0, 16384))
await capture('allowed_fast', { index: 9 }, () => wire.allowedFast(9))
// ut_metadata: a peer request for piece 0 gets data; the wire's own fetch sends a request.
await capture('ut_metadata_data', { ext_id: 3, piece: 0, total_size: info.length, info_hash: infoHash },
  () => wire.write(extFrame(1, bencode.encode({ msg_type: 0, piece: 0 }))))
await capture('extended_custom', { ext_id: 3, dict: 'd8:msg_typei2e5:piecei1ee' },
  () => wire.extended(3, bencode.encode({ msg_type: 2, piece: 1 })))

// The extended handshake the wire sent right after its handshake is in handshake.bin too.
writeFileSync(join(out, 'info.bin'), info)
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
console.log(`captured ${manifest.length} vectors into ${out}`)
wire.destroy()
