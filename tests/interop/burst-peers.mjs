// A burst of raw WebRTC peers in one process for seeder benchmarks:
// `node burst-peers.mjs <tracker url> <info hash hex>...`. Prints {ready}; on the line `go` on
// stdin every peer announces its own info hash at once with one offer (through the real npm
// tracker client), and prints {peer, t0, t1} when its data channel to the seeder opens (t0: the
// announce started, t1: open; epoch ms) or {peer, failed}. Connected peers then send a
// BitTorrent handshake and keep-alives and stay connected, printing {peer, closed} if the
// seeder closes them, until stdin closes.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createInterface } from 'node:readline'
import Client from 'bittorrent-tracker'

const CONNECT_TIMEOUT_MS = 60000
const KEEPALIVE_MS = 10000
const [tracker, ...hashes] = process.argv.slice(2)
const now = () => performance.timeOrigin + performance.now()
const say = (o) => console.log(JSON.stringify(o))
const clients = []
// The tracker clients of one process share one WebSocket, each adding listeners to it.
EventEmitter.defaultMaxListeners = 1000
const peers = []

function handshake (infoHash, peerId) {
  const reserved = Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0])
  return Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), reserved, Buffer.from(infoHash, 'hex'), peerId])
}

function hold (i, peer, infoHash, peerId) {
  peer.send(handshake(infoHash, peerId))
  const keepalive = setInterval(() => peer.destroyed || peer.send(Buffer.alloc(4)), KEEPALIVE_MS)
  peer.once('close', () => { clearInterval(keepalive); say({ peer: i, closed: true }) })
}

function start (i, infoHash) {
  const peerId = randomBytes(20)
  const client = new Client({ infoHash, peerId, announce: [tracker], port: 6881, rtcConfig: { iceServers: [] } })
  clients.push(client)
  client.on('warning', () => {})
  client.on('error', () => {})
  let connected = false
  const t0 = now()
  const timer = setTimeout(() => connected || say({ peer: i, failed: 'timeout' }), CONNECT_TIMEOUT_MS)
  client.on('peer', (peer) => {
    peers.push(peer)
    peer.on('error', () => {})
    peer.once('connect', () => {
      if (connected) return peer.destroy()
      connected = true
      clearTimeout(timer)
      say({ peer: i, t0, t1: now() })
      hold(i, peer, infoHash, peerId)
    })
  })
  client.start({ numwant: 1 })
}

const lines = createInterface({ input: process.stdin })
lines.on('close', () => {
  peers.forEach((p) => p.destroy())
  clients.forEach((c) => c.destroy())
  setTimeout(() => process.exit(0), 500)
})
say({ ready: true, pid: process.pid })
lines.on('line', (l) => { if (l.trim() === 'go') hashes.forEach((h, i) => start(i, h)) })
