// Interop: stock webtorrent 3.0.21 (Node, @roamhq/wrtc) downloads segments from the VenueBox
// seeder through the real npm bittorrent-tracker; misbehaving raw peers are dropped.
// Run inside the network namespace made by scripts/test.d/40-seeder-interop.sh.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTracker, startBox, newClient, download } from './seeder-box.mjs'
import { misbehave } from './bad-peer.mjs'

const BIN = process.env.SEEDER_BIN
const dir = mkdtempSync(join(tmpdir(), 'vb-seg-'))
let tracker, box

async function addSegment (seq, length) {
  const file = join(dir, `seg-${String(seq).padStart(8, '0')}.ts`)
  writeFileSync(file, randomBytes(length))
  const seg = await box.cmd(`add ${seq} ${file}`)
  assert.ok(seg.magnet, JSON.stringify(seg))
  return { ...seg, file, bytes: readFileSync(file) }
}

/** A webtorrent downloader in its own process, started after `delayMs`. */
function peerProcess (torrentPath, delayMs) {
  let child
  const result = new Promise((resolve, reject) => setTimeout(() => {
    child = spawn(process.execPath, [new URL('./wt-download.mjs', import.meta.url).pathname, torrentPath, tracker.url],
      { stdio: ['pipe', 'pipe', 'inherit'] })
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l)))
    child.once('exit', (code) => reject(new Error(`downloader exited ${code}`)))
  }, delayMs))
  return { result, get child () { return child } }
}

const boxPeerId = () => Buffer.from(box.ready.peer_id, 'latin1').toString('hex')
const segmentStatus = async (seq) => (await box.cmd('status')).segments.find((s) => s.seq === seq)

before(async () => {
  assert.ok(BIN, 'SEEDER_BIN must name the seeder_interop binary')
  tracker = await startTracker()
  box = await startBox(BIN, tracker.url)
})

after(() => {
  box?.stop()
  tracker?.server.close()
})

test('magnet only: ut_metadata then pieces, bytes match', async () => {
  const seg = await addSegment(1, 700_000)
  assert.ok(seg.magnet.includes(`tr=${encodeURIComponent(tracker.url)}`), seg.magnet)
  const client = newClient()
  const { bytes } = await download(client, seg.magnet, [tracker.url])
  await new Promise((resolve) => client.destroy(resolve))
  assert.ok(bytes.equals(seg.bytes), 'downloaded bytes differ')
  const st = await segmentStatus(1)
  assert.equal(st.info_hash, seg.info_hash)
  assert.ok(st.uploaded >= seg.length, `uploaded ${st.uploaded}`)
})

test('torrent file: bytes match', async () => {
  const seg = await addSegment(2, 300_000)
  const client = newClient()
  const { bytes, torrent } = await download(client, readFileSync(seg.torrent), [tracker.url])
  assert.equal(torrent.infoHash, seg.info_hash)
  assert.equal(torrent.pieces.length, seg.pieces)
  await new Promise((resolve) => client.destroy(resolve))
  assert.ok(bytes.equals(seg.bytes), 'downloaded bytes differ')
})

test('three peers at once: the box uploads less than twice the segment', async () => {
  const seg = await addSegment(3, 1_000_000)
  const sha1 = createHash('sha1').update(seg.bytes).digest('hex')
  // One process per peer, 50 ms apart, as viewers would be.
  const peers = [0, 1, 2].map((i) => peerProcess(seg.torrent, 50 * i))
  const results = await Promise.all(peers.map((p) => p.result))
  for (const r of results) assert.equal(r.sha1, sha1, 'downloaded bytes differ')
  peers.forEach((p) => p.child.stdin.end())
  const st = await segmentStatus(3)
  console.log(`# box uploaded ${st.uploaded} bytes for a ${seg.length}-byte segment to 3 peers (${(st.uploaded / seg.length).toFixed(2)}x)`)
  assert.ok(st.uploaded < 2 * seg.length, `box uploaded ${st.uploaded} for ${seg.length}`)
})

test('misbehaving peers are dropped while good peers complete', async () => {
  const seg = await addSegment(4, 500_000)
  const sha1 = createHash('sha1').update(seg.bytes).digest('hex')
  const kinds = ['garbage', 'wrong-info-hash', 'oversized-request', 'out-of-range', 'not-offered', 'unrequested-piece']
  const first = peerProcess(seg.torrent, 0)
  // One at a time, so each bad peer's offers surely include the box (the tracker picks peers at random).
  const bad = []
  for (const kind of kinds) bad.push(await misbehave(kind, tracker.url, seg.info_hash, seg.pieces, boxPeerId()))
  const second = peerProcess(seg.torrent, 0)
  for (const peer of [first, second]) {
    assert.equal((await peer.result).sha1, sha1, 'good peer got wrong bytes')
    peer.child.stdin.end()
  }
  bad.forEach((r, i) => assert.ok(r.closedByBox, `${kinds[i]}: box did not close (${JSON.stringify(r)})`))
  const st = await segmentStatus(4)
  assert.equal(st.dropped, kinds.length, JSON.stringify(st))
})

test('a segment that leaves the window is no longer served', async () => {
  const seg = await addSegment(5, 100_000)
  assert.deepEqual(await box.cmd('remove 5'), { removed: 5 })
  const status = await box.cmd('status')
  assert.ok(!status.segments.some((s) => s.info_hash === seg.info_hash))
})
