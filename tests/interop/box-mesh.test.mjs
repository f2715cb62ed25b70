// End to end on the live mesh: the real `venuebox` service (demo stream, its tracker, its seeder
// as a stream-swarm member) and the viewer's own P2P engine (viewer/src/mesh/engine.js) in Node
// with real WebRTC (node-datachannel). Viewers join the stream swarm named by the signaling
// hello, the box takes only its few neighbour slots, pushes each new segment once, and the
// viewers get the rest from each other; every segment's bytes equal what /hls serves. Run inside
// the namespace made by scripts/test.d/40-seeder-interop.sh (BOX_BIN, SEEDER_HOST).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { startDemoBox } from './demo-box.mjs'
import { MeshEngine } from '../../viewer/src/mesh/engine.js'
import { parseMessage } from '../../viewer/src/signal-msg.js'
import { parseTorrent } from '../../viewer/src/torrent-meta.js'

const viewerRequire = createRequire(new URL('../../viewer/package.json', import.meta.url))
const { RTCPeerConnection } = viewerRequire('node-datachannel/polyfill')

const HOST = process.env.SEEDER_HOST || '127.0.0.1'
const PORT = 18081
const BASE = `http://${HOST}:${PORT}`
const VIEWERS = 4
const BOX_SLOTS = 2
let box
const engines = []
const sockets = []

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const status = async () => (await fetch(`${BASE}/api/status`)).json()

async function until (what, fn, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const v = await fn().catch(() => null)
    if (v) return v
    await sleep(250)
  }
  throw new Error(`timed out waiting for ${what}`)
}

before(async () => {
  box = startDemoBox({ host: HOST, port: PORT, extra: `
[demo]
video_kbps = 800
[mesh]
stream_id = "interop"
box_neighbours = ${BOX_SLOTS}
neighbours = 3
` })
  await until('a seeded segment', async () => (await status()).seeder.segments.some((s) => !s.init))
})

after(() => {
  for (const e of engines) e.destroy()
  for (const ws of sockets) ws.close()
  box?.kill('SIGTERM')
})

/** A viewer: its signaling socket feeding a MeshEngine, HTTP fill from the box. */
async function viewer (index) {
  const ws = new WebSocket(`ws://${HOST}:${PORT}/signal`)
  sockets.push(ws)
  const v = { announced: new Map(), httpBytes: 0, hello: null }
  const fetchPiece = async (seq, piece) => {
    const seg = v.announced.get(seq)
    const start = piece * seg.torrent.pieceLength
    const end = Math.min(start + seg.torrent.pieceLength, seg.torrent.length) - 1
    const res = await fetch(`${BASE}${seg.url}`, { headers: { range: `bytes=${start}-${end}` } })
    const bytes = new Uint8Array(await res.arrayBuffer())
    v.httpBytes += bytes.length
    return bytes
  }
  const add = (seg) => {
    if (!seg.torrent || !v.engine) return
    const torrent = parseTorrent(seg.torrent, seg.infoHash)
    v.announced.set(seg.seq, { ...seg, torrent })
    v.engine.addSegment({ seq: seg.seq, torrent })
  }
  ws.on('message', (data) => {
    const msg = parseMessage(String(data))
    if (msg.type === 'hello') {
      v.hello = msg
      v.engine = new MeshEngine({
        RTCPeerConnection,
        rtcConfig: { iceServers: [] },
        // bittorrent-tracker shares one socket per URL in a process: one URL per viewer.
        trackerUrl: `${msg.tracker}?viewer=${index}`,
        infoHash: msg.swarm.infoHash,
        peerId: randomBytes(20).toString('hex'),
        neighbours: msg.swarm.neighbours,
        fetchPiece,
      })
      engines.push(v.engine)
      msg.segments.forEach(add)
    } else if (msg.type === 'segment') add(msg.segment ?? msg)
    else if (msg.type === 'removed') v.engine?.removeSegment(msg.seq)
  })
  await until('the hello', async () => v.hello, 20000)
  return v
}

/** Resolves with the next segment announced to `v` after `afterSeq`. */
const nextSeq = (v, afterSeq) => until(`a segment after ${afterSeq}`,
  async () => [...v.announced.keys()].find((s) => s > afterSeq), 20000)

test('viewers join the stream swarm; the box takes its slots only and pushes; viewers share', async () => {
  const viewers = []
  for (let i = 0; i < VIEWERS; i++) viewers.push(await viewer(i))
  const swarm = viewers[0].hello.swarm
  assert.match(swarm.infoHash, /^[0-9a-f]{40}$/)
  assert.equal(swarm.neighbours, 3)
  await until('every viewer linked', async () => viewers.every((v) => v.engine.snapshot().linksOpen >= 1), 45000)
    .catch(async (e) => {
      const s = await status()
      throw new Error(`${e.message}: ${JSON.stringify(viewers.map((v) => v.engine.snapshot()))} ` +
        `tracker ${JSON.stringify(s.tracker)} mesh ${JSON.stringify(s.seeder.mesh)}`)
    })
  const meshBefore = (await status()).seeder.mesh
  assert.ok(meshBefore.neighbours <= BOX_SLOTS, `box neighbours ${meshBefore.neighbours} > ${BOX_SLOTS}`)

  // Play 4 segments the way the page does: each viewer asks for each new segment in turn.
  let seq = Math.max(...viewers.map((v) => Math.max(...v.announced.keys())))
  const got = []
  for (let k = 0; k < 4; k++) {
    seq = await nextSeq(viewers[0], seq)
    const results = await Promise.all(viewers.map(async (v) => {
      await until(`segment ${seq} at every viewer`, async () => v.announced.has(seq), 10000)
      return v.engine.getSegment(seq, { deadlineMs: 1500 })
    }))
    const name = viewers[0].announced.get(seq).url
    const want = Buffer.from(await (await fetch(`${BASE}${name}`)).arrayBuffer())
    for (const r of results) assert.ok(Buffer.from(r.data).equals(want), `segment ${seq} differs from /hls`)
    got.push({ seq, size: want.length, results })
  }

  const totals = { peer: 0, box: 0, http: 0 }
  for (const { results } of got) {
    for (const r of results) {
      totals.peer += r.p2pBytes
      totals.box += r.fromBoxBytes
      totals.http += r.httpBytes
    }
  }
  const all = totals.peer + totals.box + totals.http
  const bytesOfSegments = got.reduce((n, g) => n + g.size, 0)
  console.log(`mesh: ${VIEWERS} viewers, ${got.length} segments: ${(100 * totals.peer / all).toFixed(1)} % from viewers, ` +
    `box seeder ${(totals.box / bytesOfSegments).toFixed(2)} copies, HTTP ${(totals.http / bytesOfSegments).toFixed(2)} copies`)
  assert.ok(totals.peer > 0, `no byte came from another viewer: ${JSON.stringify(totals)}`)
  assert.ok(totals.box + totals.http < VIEWERS * bytesOfSegments,
    `the box served every copy: ${JSON.stringify(totals)}`)

  const mesh = (await status()).seeder.mesh
  assert.ok(mesh.bytes_pushed > 0, 'the box pushed pieces')
  assert.ok(mesh.neighbours <= BOX_SLOTS, `box neighbours ${mesh.neighbours} > ${BOX_SLOTS}`)
  for (const v of viewers) {
    const s = v.engine.snapshot()
    assert.ok(s.peerConnectionsCreated <= 3 * swarm.neighbours,
      `a viewer created ${s.peerConnectionsCreated} peer connections for ${got.length} segments`)
    assert.equal(s.hashFailures, 0)
  }
})
