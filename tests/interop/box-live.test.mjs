// End to end: the real `venuebox` service (demo stream, its own /announce tracker, its WebRTC
// seeder, /signal) and stock webtorrent 3.0.21 in Node. A live segment is downloaded given only
// the magnet from /api/status (ut_metadata from the box), and given the .torrent announced over
// /signal; the bytes equal what /hls serves. Run inside the namespace made by
// scripts/test.d/40-seeder-interop.sh (BOX_BIN, SEEDER_HOST).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import https from 'node:https'
import WebSocket from 'ws'
import { HOST, newClient, download } from './seeder-box.mjs'
import { startDemoBox } from './demo-box.mjs'

const PORT = 18080
const BASE = `http://${HOST}:${PORT}`
let box

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const status = async () => (await fetch(`${BASE}/api/status`)).json()
const httpBytes = async (url) => Buffer.from(await (await fetch(`${BASE}${url}`)).arrayBuffer())
/** The staff page's figure of the box's egress in bytes (HTTP bodies + WebRTC seeder). */
const staffEgress = async () => {
  const auth = `Basic ${Buffer.from('staff:interop-test-password').toString('base64')}`
  // The staff page is HTTPS only (plain /admin redirects); the box's certificate is self-signed.
  const res = await new Promise((resolve, reject) => {
    https.get(`https://${HOST}:${PORT + 443}/admin/data.json`, { headers: { Authorization: auth }, rejectUnauthorized: false }, (r) => {
      let body = ''
      r.on('data', (d) => { body += d }).on('end', () => resolve({ status: r.statusCode, body }))
    }).on('error', reject)
  })
  assert.equal(res.status, 200, 'staff login')
  const egress = JSON.parse(res.body).egress_bytes
  assert.equal(typeof egress, 'number', 'data.json has egress_bytes')
  return egress
}

/** Waits until the seeder lists at least `n` media segments; returns the newest. */
async function newestSeeded (n = 2, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const s = await status().catch(() => null)
    const segs = (s?.seeder?.segments ?? []).filter((x) => !x.init).sort((a, b) => a.seq - b.seq)
    if (segs.length >= n) return segs[segs.length - 1]
    await sleep(250)
  }
  throw new Error('the box never seeded a segment')
}

before(async () => {
  box = startDemoBox({ host: HOST, port: PORT, extra: `
[window]
max_segments = 20
max_duration_secs = 40.0
` })
  await newestSeeded()
})

after(() => box?.kill('SIGTERM'))

test('magnet only from /api/status: metadata and pieces from the box, bytes match /hls', async () => {
  const seg = await newestSeeded()
  assert.ok(seg.magnet.includes(`tr=${encodeURIComponent(`ws://${HOST}:${PORT}/announce`)}`), seg.magnet)
  const client = newClient()
  const { bytes, torrent } = await download(client, seg.magnet, undefined, 30000)
  await new Promise((resolve) => client.destroy(resolve))
  assert.equal(torrent.infoHash, seg.info_hash)
  assert.ok(bytes.equals(await httpBytes(`/hls/${seg.name}`)), 'downloaded bytes differ from /hls')
  const after = (await status()).seeder.segments.find((s) => s.info_hash === seg.info_hash)
  assert.ok(after.uploaded >= seg.length, `box uploaded ${after.uploaded} of ${seg.length}`)
  assert.ok((await status()).tracker.swarms >= 1, 'the tracker knows the box swarms')
})

test('torrent from /signal: the announced .torrent downloads through the box tracker', async () => {
  const ws = new WebSocket(`ws://${HOST}:${PORT}/signal`)
  const seg = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no segment announcement within 20 s')), 20000)
    let trackerUrl
    ws.on('message', (data) => {
      const msg = JSON.parse(data)
      if (msg.type === 'hello') trackerUrl = msg.tracker_url
      if (msg.type === 'segment' && msg.torrent) {
        clearTimeout(timer)
        resolve({ ...msg, trackerUrl })
      }
    })
    ws.on('error', reject)
  })
  ws.close()
  assert.equal(seg.trackerUrl, `ws://${HOST}:${PORT}/announce`)
  const client = newClient()
  const { bytes, torrent } = await download(client, Buffer.from(seg.torrent, 'base64'), [seg.trackerUrl], 30000)
  await new Promise((resolve) => client.destroy(resolve))
  assert.equal(torrent.infoHash, seg.info_hash)
  assert.ok(bytes.equals(await httpBytes(seg.url)), 'downloaded bytes differ from /hls')
})

test("the staff page's egress grows by at least what webtorrent downloaded from the seeder", async () => {
  const seg = await newestSeeded()
  const before = await staffEgress()
  const client = newClient()
  const { bytes, torrent } = await download(client, seg.magnet, undefined, 30000)
  const fromBox = torrent.downloaded
  await new Promise((resolve) => client.destroy(resolve))
  assert.ok(fromBox >= bytes.length, `webtorrent counted ${fromBox} of ${bytes.length} bytes`)
  // One read after a moment for the last blocks (polling would add its own HTTP bytes).
  await sleep(1000)
  const grown = (await staffEgress()) - before
  assert.ok(grown >= fromBox, `staff egress grew by ${grown}, webtorrent downloaded ${fromBox}`)
})
