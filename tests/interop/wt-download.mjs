// One webtorrent 3 downloader process: `node wt-download.mjs <torrent file|magnet> <tracker url>`;
// prints one JSON line {sha1, bytes, ms} when the download is done, then keeps seeding until
// stdin closes (so later peers can fetch from it).
import { readFileSync, existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { newClient, download } from './seeder-box.mjs'

const [id, tracker] = process.argv.slice(2)
const client = newClient()
const started = Date.now()
const torrentId = existsSync(id) ? readFileSync(id) : id
const { bytes } = await download(client, torrentId, [tracker], 120000)
console.log(JSON.stringify({ sha1: createHash('sha1').update(bytes).digest('hex'), bytes: bytes.length, ms: Date.now() - started }))
process.stdin.resume()
process.stdin.on('end', () => client.destroy(() => process.exit(0)))
