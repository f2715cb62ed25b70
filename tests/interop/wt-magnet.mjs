// Stock webtorrent 3 given only a magnet (its trackers are the magnet's own, nothing added):
// `node wt-magnet.mjs <magnet>`; prints one JSON line {sha1, bytes, ms} when the download is done,
// then exits when stdin closes.
import { createHash } from 'node:crypto'
import { newClient, download } from './seeder-box.mjs'

const [magnet] = process.argv.slice(2)
const client = newClient()
const started = Date.now()
const { bytes } = await download(client, magnet, [], 60000)
console.log(JSON.stringify({ sha1: createHash('sha1').update(bytes).digest('hex'), bytes: bytes.length, ms: Date.now() - started }))
process.stdin.resume()
process.stdin.on('end', () => client.destroy(() => process.exit(0)))
