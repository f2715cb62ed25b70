// Interop: the real npm bittorrent-tracker 11.2.3 client and webtorrent 3.0.21 against the box's
// tracker at TRACKER_URL (ws://host:port/announce). Run: TRACKER_URL=... node --test tracker/
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import Client from 'bittorrent-tracker'
import WebTorrent from 'webtorrent'

const URL = process.env.TRACKER_URL
if (!URL) throw new Error('set TRACKER_URL')
// @roamhq/wrtc aborts in its N-API finalizers at a natural process exit: leave explicitly once
// the runner has reported (process.exitCode carries the result).
after(() => { setTimeout(() => process.exit(), 500) })

const hex = n => randomBytes(n).toString('hex')
const bin = h => Buffer.from(h, 'hex').toString('binary')

function once (emitter, event, ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms)
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args.length > 1 ? args : args[0]) })
  })
}

function client (infoHash, left, path) {
  const c = new Client({
    infoHash,
    peerId: hex(20),
    announce: `${URL}?c=${path}`, // distinct URLs: one socket per client, as separate browsers
    port: 6881,
    rtcConfig: { iceServers: [] },
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left })
  })
  c.on('warning', () => {})
  c.on('error', () => {})
  return c
}

test('announce: counts, offer forwarded, answer relayed between two real clients', async () => {
  const ih = hex(20)
  const seeder = client(ih, 0, 'a')
  const leecher = client(ih, 1000, 'b')
  seeder.start()
  const first = await once(seeder, 'update')
  assert.equal(first.complete, 1)
  assert.equal(first.incomplete, 0)
  const offerArrived = once(seeder, 'peer')
  const answerArrived = once(leecher, 'peer')
  leecher.start()
  const second = await once(leecher, 'update')
  assert.equal(second.complete, 1)
  assert.equal(second.incomplete, 1)
  const [offerPeer, answerPeer] = await Promise.all([offerArrived, answerArrived])
  assert.equal(offerPeer.id, leecher.peerId, 'the seeder got the leecher offer')
  assert.equal(answerPeer.id, seeder.peerId, 'the leecher got the seeder answer')
  for (const p of [offerPeer, answerPeer]) { p.on('error', () => {}); p.destroy() }
  seeder.destroy()
  leecher.destroy()
})

test('scrape one and many info hashes', async () => {
  const a = hex(20)
  const b = hex(20)
  const seeder = client(a, 0, 's1')
  seeder.start()
  await once(seeder, 'update')
  seeder.scrape()
  const one = await once(seeder, 'scrape')
  assert.equal(one.infoHash, a)
  assert.equal(one.complete, 1)
  const many = await new Promise((resolve, reject) =>
    Client.scrape({ announce: `${URL}?c=many`, infoHash: [a, b] }, (err, res) => err ? reject(err) : resolve(res)))
  assert.deepEqual(Object.keys(many).sort(), [a, b].sort())
  assert.equal(many[a].complete, 1)
  assert.equal(many[b].complete, 0)
  seeder.destroy()
})

test('two webtorrent 3.0.21 peers exchange a file through the tracker', async () => {
  const data = randomBytes(300 * 1024)
  const opts = { dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, tracker: { rtcConfig: { iceServers: [] } } }
  const dirs = [mkdtempSync(join(tmpdir(), 'vb-seed-')), mkdtempSync(join(tmpdir(), 'vb-leech-'))]
  const seedClient = new WebTorrent(opts)
  const leechClient = new WebTorrent(opts)
  try {
    const seeded = await new Promise(resolve =>
      seedClient.seed(data, { name: 'seg-00000001.ts', path: dirs[0], announce: [`${URL}?c=wt-seed`] }, resolve))
    // The torrent names the tracker (as the box hands viewers whole torrents); one socket each.
    const torrent = leechClient.add(seeded.torrentFile, { path: dirs[1] })
    await once(torrent, 'done', 60000)
    const got = Buffer.from(await torrent.files[0].arrayBuffer())
    assert.ok(got.equals(data), 'downloaded bytes equal the seeded bytes')
    assert.ok(torrent.received >= data.length)
  } finally {
    await Promise.all([seedClient, leechClient].map(c => new Promise(resolve => c.destroy(resolve))))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
})

// Raw sockets with bad input: failures or a closed socket, never a crash, others unaffected.
function raw () {
  const ws = new WebSocket(URL, { perMessageDeflate: false })
  const inbox = []
  const waiters = []
  ws.on('message', (d, isBinary) => {
    const msg = isBinary ? { binary: true } : JSON.parse(d.toString())
    const w = waiters.shift()
    if (w) w(msg); else inbox.push(msg)
  })
  ws.next = (ms = 5000) => inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no message')), ms)
    waiters.push(m => { clearTimeout(t); resolve(m) })
  })
  ws.closed = new Promise(resolve => ws.on('close', resolve))
  ws.on('error', () => {})
  return new Promise(resolve => ws.on('open', () => resolve(ws)))
}

test('bad input gets a failure reason with an action', async () => {
  const ws = await raw()
  const ih = bin(hex(20))
  const bad = [
    'not json',
    '[]',
    '{"action":"frobnicate"}',
    JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: bin(hex(20)) }),
    JSON.stringify({ action: 'announce', info_hash: ih, peer_id: 'x'.repeat(21) }),
    JSON.stringify({ action: 'announce', info_hash: ih, peer_id: bin(hex(20)), answer: { type: 'answer', sdp: 'x' } }),
    JSON.stringify({ action: 'announce', info_hash: ih, peer_id: bin(hex(20)), to_peer_id: bin(hex(20)), offer_id: bin(hex(20)), answer: { type: 'answer', sdp: 'x' } }),
    JSON.stringify({ action: 'scrape', info_hash: [ih, 'bad'] })
  ]
  for (const frame of bad) {
    ws.send(frame)
    const reply = await ws.next()
    assert.ok(reply['failure reason'], `failure for ${frame.slice(0, 60)}`)
    assert.ok(reply.action === 'announce' || reply.action === 'scrape', 'failures always carry an action')
  }
  ws.send(Buffer.from('{"action":"scrape"}'), { binary: true })
  assert.match((await ws.next())['failure reason'], /binary/)
  ws.send(JSON.stringify({ action: 'scrape', info_hash: ih }))
  assert.equal((await ws.next()).action, 'scrape', 'the socket still works after bad input')
  ws.close()
})

test('a huge frame closes that socket only; a flood is refused then closed', async () => {
  const good = await raw()
  const ih = bin(hex(20))
  good.send(JSON.stringify({ action: 'announce', info_hash: ih, peer_id: bin(hex(20)), event: 'started', left: 0 }))
  assert.equal((await good.next()).complete, 1)

  const huge = await raw()
  huge.send('{"action":"scrape","pad":"' + 'x'.repeat(200 * 1024) + '"}')
  await huge.closed

  const flood = await raw()
  const frame = JSON.stringify({ action: 'scrape', info_hash: ih })
  for (let i = 0; i < 400 && flood.readyState === WebSocket.OPEN; i++) flood.send(frame)
  let sawLimit = false
  for (;;) {
    const m = await flood.next(3000).catch(() => null)
    if (!m) break
    if (/rate limit/.test(m['failure reason'] || '')) sawLimit = true
  }
  await flood.closed
  assert.ok(sawLimit, 'the flooder was told before being closed')

  good.send(JSON.stringify({ action: 'scrape', info_hash: ih }))
  const s = await good.next()
  assert.equal(s.files[ih].complete, 1, 'the well-behaved client is unaffected')
  good.close()
})
