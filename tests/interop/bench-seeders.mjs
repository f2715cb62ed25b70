// The two seeders the seeder benchmark compares, behind one shape:
// { kind, name, pid, add(files) -> [{info_hash, torrent}], uploaded(hashes), peers(), removeAll() }.
// `box`: the VenueBox seeder alone (the seeder_interop example) driven over stdin; `node`: a
// stock webtorrent 3 seeder in its own process (wt-seed.mjs). Both join the same tracker.
import { jsonChild } from './bench-procs.mjs'
import { HOST } from './seeder-box.mjs'

const here = (f) => new URL(f, import.meta.url).pathname

/** The box's seeder; `bin` is the seeder_interop example binary, `build` its profile. */
export async function boxSeeder (bin, trackerUrl, build) {
  const p = jsonChild(bin, [trackerUrl, `${HOST}:0`, HOST])
  const ready = await p.next(30000)
  if (!ready.ready) throw new Error(`box: ${JSON.stringify(ready)}`)
  let seq = 0
  const added = []
  const status = () => p.cmd('status')
  return {
    kind: 'box',
    name: `box (${build})`,
    pid: p.child.pid,
    peerId: Buffer.from(ready.peer_id, 'latin1').toString('hex'),
    async add (files) {
      const out = []
      for (const file of files) {
        const seg = await p.cmd(`add ${++seq} ${file}`)
        if (!seg.info_hash) throw new Error(`box add: ${JSON.stringify(seg)}`)
        added.push(seg.seq)
        out.push({ info_hash: seg.info_hash, torrent: seg.torrent })
      }
      return out
    },
    async uploaded (hashes) {
      const { segments } = await status()
      return segments.filter((s) => hashes.includes(s.info_hash)).reduce((n, s) => n + s.uploaded, 0)
    },
    peers: async () => (await status()).peers,
    async removeAll () {
      for (const s of added.splice(0)) await p.cmd(`remove ${s}`)
    },
    close: () => p.close()
  }
}

/** A stock webtorrent 3 seeder in its own Node process. */
export async function nodeSeeder (trackerUrl) {
  const p = jsonChild(process.execPath, [here('./wt-seed.mjs'), trackerUrl])
  const ready = await p.next(30000)
  const added = []
  const status = () => p.cmd('status')
  return {
    kind: 'node',
    name: 'node webtorrent',
    pid: ready.pid,
    peerId: ready.peer_id,
    async add (files) {
      const out = []
      for (const file of files) {
        const t = await p.cmd(`seed ${file}`, 60000)
        if (!t.info_hash) throw new Error(`node seed: ${JSON.stringify(t)}`)
        added.push(t.info_hash)
        out.push(t)
      }
      return out
    },
    async uploaded (hashes) {
      const { torrents } = await status()
      return torrents.filter((t) => hashes.includes(t.info_hash)).reduce((n, t) => n + t.uploaded, 0)
    },
    peers: async () => (await status()).peers,
    async removeAll () {
      for (const h of added.splice(0)) await p.cmd(`remove ${h}`)
    },
    close: () => p.close()
  }
}
