// A misbehaving WebRTC peer: joins a swarm through the real tracker client, connects to the box
// (and only the box) and breaks the wire protocol in one chosen way; reports whether the box
// closed the connection.
import { randomBytes } from 'node:crypto'
import Client from 'bittorrent-tracker'

function handshake (infoHashHex) {
  return Buffer.concat([
    Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0]),
    Buffer.from(infoHashHex, 'hex'), randomBytes(20)
  ])
}

function message (id, ...numbers) {
  const b = Buffer.alloc(5 + 4 * numbers.length)
  b.writeUInt32BE(1 + 4 * numbers.length, 0)
  b[4] = id
  numbers.forEach((n, i) => b.writeUInt32BE(n, 5 + 4 * i))
  return b
}

function pieceMessage (index, begin, block) {
  const head = message(7, index, begin)
  head.writeUInt32BE(9 + block.length, 0)
  return Buffer.concat([head, block])
}

/** Pieces the box announced with `have` in `stream` (its handshake first). */
function haves (stream) {
  const found = new Set()
  let pos = 68
  while (pos + 4 <= stream.length) {
    const len = stream.readUInt32BE(pos)
    if (pos + 4 + len > stream.length) break
    if (len === 5 && stream[pos + 4] === 4) found.add(stream.readUInt32BE(pos + 5))
    pos += 4 + len
  }
  return found
}

const acts = {
  garbage: (send) => send(Buffer.from('GET / HTTP/1.1\r\nHost: box\r\n\r\n')),
  'wrong-info-hash': (send) => send(handshake(randomBytes(20).toString('hex'))),
  'oversized-request': (send, hash) => { send(handshake(hash)); send(message(6, 0, 0, 1 << 20)) },
  'out-of-range': (send, hash, pieces) => { send(handshake(hash)); send(message(6, pieces + 5, 0, 16384)) },
  'unrequested-piece': (send, hash) => { send(handshake(hash)); send(pieceMessage(0, 0, randomBytes(100))) },
  'not-offered': (send, hash, pieces, received) => {
    send(handshake(hash))
    setTimeout(() => {
      const shown = haves(Buffer.concat(received))
      const piece = [...Array(pieces).keys()].find((i) => !shown.has(i))
      send(message(6, piece, 0, 16384))
    }, 1000)
  }
}

/** Connects to the box for `infoHash` and misbehaves as `kind`; resolves { closedByBox }. */
export function misbehave (kind, trackerUrl, infoHash, pieces, boxPeerIdHex, timeoutMs = 30000) {
  const client = new Client({
    infoHash, peerId: randomBytes(20), announce: [trackerUrl], port: 6881, rtcConfig: { iceServers: [] }
  })
  return new Promise((resolve) => {
    let acted = false
    let finished = false
    const done = (result) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      client.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done({ closedByBox: false, acted }), timeoutMs)
    client.on('warning', () => {})
    client.on('error', () => {})
    client.on('peer', (peer) => {
      if (acted || peer.id !== boxPeerIdHex) return setTimeout(() => peer.destroy(), 0)
      acted = true
      const received = []
      peer.on('data', (d) => received.push(Buffer.from(d)))
      peer.on('error', () => {})
      peer.once('connect', () => {
        // simple-peer tears itself down when the data channel closes, without always emitting
        // 'close' to us: watch the channel itself and simple-peer's destroyed flag.
        peer._channel.addEventListener('close', () => done({ closedByBox: true, how: 'channel close' }))
        const poll = setInterval(() => {
          if (peer.destroyed) { clearInterval(poll); done({ closedByBox: true, how: 'destroyed' }) }
        }, 100)
        acts[kind]((b) => peer.send(b), infoHash, pieces, received)
      })
      peer.once('close', () => done({ closedByBox: true, how: 'close' }))
    })
    client.start()
  })
}
