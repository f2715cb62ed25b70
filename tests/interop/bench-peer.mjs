// One benchmark viewer in its own process: `node bench-peer.mjs <tracker url> <torrent file>...`.
// Prints {ready} once webtorrent is loaded, waits for the line `go` on stdin, then downloads the
// segments one after the other as a live viewer would (keeping each one seeding to the other
// peers), printing {seg, sha1, ms} per segment and {done, ms}; exits when stdin closes.
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { newClient, download } from './seeder-box.mjs'

const [tracker, ...torrents] = process.argv.slice(2)
const client = newClient()
client.on('error', (e) => console.error(`bench-peer: ${e.message}`))
const lines = createInterface({ input: process.stdin })
lines.on('close', () => client.destroy(() => process.exit(0)))

console.log(JSON.stringify({ ready: true, pid: process.pid }))
await new Promise((resolve) => lines.on('line', (l) => l.trim() === 'go' && resolve()))
const started = Date.now()
for (const [seg, path] of torrents.entries()) {
  const t0 = Date.now()
  const { bytes } = await download(client, readFileSync(path), [tracker], 120000)
  const sha1 = createHash('sha1').update(bytes).digest('hex')
  console.log(JSON.stringify({ seg, sha1, ms: Date.now() - t0 }))
}
console.log(JSON.stringify({ done: true, ms: Date.now() - started }))
