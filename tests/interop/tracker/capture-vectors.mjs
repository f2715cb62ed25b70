// Captures the exact WebSocket frames the real npm bittorrent-tracker 11.x client and server
// exchange, as test vectors for the Rust codec (appliance/proto/testdata/tracker/).
//
// A recording proxy sits between real `Client`s and the real `Server` (ws only): every frame in
// either direction is written verbatim to `<out>/<scenario>/NNN-<dir>-<conn>.json` (text frames)
// in arrival order. Usage: node tracker/capture-vectors.mjs <out dir>
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocketServer, WebSocket } from 'ws'
import { Server } from 'bittorrent-tracker'
import Client from 'bittorrent-tracker'

const out = process.argv[2]
if (!out) throw new Error('usage: capture-vectors.mjs <out dir>')

// Ids with bytes that need JSON escaping or UTF-8 encoding (0x00-0x1f, ", \, 0x7f, 0x80-0xff).
const IH1 = '00011f225c7f80c3e9ff41424344454647484950'
const IH2 = 'aabbccddeeff00112233445566778899aabbccdd'
const PEER_A = '2d5757303130302d0a0d09085c22ff80c0c1c2c3'
const PEER_B = '2d5757303130302d41424344454647484950e9e8'
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

let seq = 0
function startProxy (upstreamUrl, dir) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (down, req) => {
    const conn = req.url.replace(/[^a-z0-9]/g, '') || 'raw'
    const up = new WebSocket(upstreamUrl, { perMessageDeflate: false })
    const pending = []
    const record = (direction, data, isBinary) => {
      const name = `${String(seq++).padStart(3, '0')}-${direction}-${conn}.${isBinary ? 'bin' : 'json'}`
      writeFileSync(join(dir, name), data)
    }
    up.on('open', () => { for (const [d, b] of pending) up.send(d, { binary: b }); pending.length = 0 })
    down.on('message', (data, isBinary) => {
      record('c2s', data, isBinary)
      if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary })
      else pending.push([data, isBinary])
    })
    up.on('message', (data, isBinary) => { record('s2c', data, isBinary); down.send(data, { binary: isBinary }) })
    down.on('close', () => up.close())
    up.on('close', () => down.close())
    up.on('error', () => down.close())
  })
  return new Promise(resolve => wss.on('listening', () => resolve(wss)))
}

function once (emitter, event) {
  return new Promise(resolve => emitter.once(event, resolve))
}

async function swarmScenario (proxyPort) {
  let leftB = 12345
  const mk = (peerId, path, left) => new Client({
    infoHash: IH1,
    peerId,
    announce: `ws://127.0.0.1:${proxyPort}/${path}`,
    port: 6881,
    rtcConfig: { iceServers: [] },
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: left() })
  })
  const a = mk(PEER_A, 'a', () => 0)
  const b = mk(PEER_B, 'b', () => leftB)
  for (const c of [a, b]) c.on('warning', () => {}).on('error', () => {})
  a.on('peer', p => p.on('error', () => {}))
  b.on('peer', p => p.on('error', () => {}))

  a.start()
  await once(a, 'update')
  const offerReached = once(a, 'peer')
  const answerReached = once(b, 'peer')
  b.start()
  await once(b, 'update')
  await offerReached
  await answerReached
  await sleep(300)
  leftB = 0
  b.complete()
  await once(b, 'update')
  a.update()
  await once(a, 'update')
  a.scrape()
  await once(a, 'scrape')
  const many = new Promise((resolve, reject) => Client.scrape({
    announce: `ws://127.0.0.1:${proxyPort}/m`, infoHash: [IH1, IH2]
  }, (err, res) => err ? reject(err) : resolve(res)))
  await many
  a.stop()
  b.stop()
  await sleep(500)
  a.destroy()
  b.destroy()
  await sleep(200)
}

// Bad and raw frames sent by a plain WebSocket client, with whatever the server answers.
const RAW_FRAMES = [
  'not json',
  '[]',
  '{}',
  '{"action":"frobnicate"}',
  '{"action":"announce","info_hash":"short","peer_id":"01234567890123456789"}',
  '{"action":"announce","info_hash":"01234567890123456789","peer_id":"0123"}',
  '{"action":"announce","info_hash":"01234567890123456789","peer_id":"01234567890123456789","answer":{"type":"answer","sdp":"x"}}',
  '{"action":"announce","info_hash":"01234567890123456789","peer_id":"01234567890123456789","event":"exploded"}',
  '{"action":"announce","info_hash":"01234567890123456789","peer_id":"01234567890123456789","to_peer_id":"98765432109876543210","offer_id":"abcdefghijabcdefghij","answer":{"type":"answer","sdp":"x"}}',
  '{"action":"scrape","info_hash":["01234567890123456789","bad"]}',
  '{"action":"announce","info_hash":"01234567890123456789","peer_id":"01234567890123456789","event":"started","left":0,"numwant":0}',
  '{"action":"scrape"}',
  '{"action":"scrape","info_hash":"01234567890123456789"}'
]

async function rawScenario (proxyPort) {
  const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/raw`, { perMessageDeflate: false })
  await once(ws, 'open')
  for (const frame of RAW_FRAMES) {
    ws.send(frame)
    await sleep(150)
  }
  ws.close()
  await sleep(100)
}

async function main () {
  rmSync(out, { recursive: true, force: true })
  const server = new Server({ udp: false, http: false, ws: true, stats: false })
  server.on('warning', () => {})
  server.on('error', err => { throw err })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const upstream = `ws://127.0.0.1:${server.ws.address().port}`
  for (const [name, scenario] of [['swarm', swarmScenario], ['raw', rawScenario]]) {
    const dir = join(out, name)
    mkdirSync(dir, { recursive: true })
    seq = 0
    const proxy = await startProxy(upstream, dir)
    await scenario(proxy.address().port)
    await new Promise(resolve => proxy.close(resolve))
  }
  server.close()
  console.log(`captured ${out}`)
  process.exit(0)
}

main().catch(err => { console.error(err); process.exit(1) })
