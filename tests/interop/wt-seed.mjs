// A stock webtorrent 3 seeder in its own process, the Node counterpart of the box's seeder in
// benchmarks: `node wt-seed.mjs <tracker url>`; prints {ready, peer_id, pid}, then answers
// commands on stdin with one JSON line each: `seed <file>` (writes `<file>.torrent`),
// `remove <info hash>`, `status`. Exits when stdin closes.
import { EventEmitter } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { newClient } from './seeder-box.mjs'

const [tracker] = process.argv.slice(2)
// Every torrent adds listeners to the one tracker socket; dozens of torrents are expected here.
EventEmitter.defaultMaxListeners = 1000
const client = newClient()
client.on('error', (e) => console.error(`wt-seed: ${e.message}`))

function seed (file) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('seeding did not start within 30 s')), 30000)
    client.seed(file, { announce: [tracker] }, (torrent) => {
      clearTimeout(timer)
      const path = `${file}.torrent`
      writeFileSync(path, torrent.torrentFile)
      resolve({ info_hash: torrent.infoHash, torrent: path, length: torrent.length, pieces: torrent.pieces.length })
    })
  })
}

function status () {
  const torrents = client.torrents.map((t) => ({ info_hash: t.infoHash, uploaded: t.uploaded, peers: t.numPeers }))
  return { pid: process.pid, peers: torrents.reduce((n, t) => n + t.peers, 0), torrents }
}

async function command (line) {
  const [cmd, arg] = line.trim().split(/\s+/)
  if (cmd === 'seed') return seed(arg)
  if (cmd === 'status') return status()
  if (cmd === 'remove') {
    await new Promise((resolve) => client.remove(arg, resolve))
    return { removed: arg }
  }
  throw new Error(`unknown command ${JSON.stringify(line)}`)
}

console.log(JSON.stringify({ ready: true, peer_id: client.peerId, pid: process.pid }))
const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  const reply = await command(line).catch((e) => ({ error: e.message }))
  console.log(JSON.stringify(reply))
}
client.destroy(() => process.exit(0))
