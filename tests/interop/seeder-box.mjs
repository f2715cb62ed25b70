// Helpers for seeder interop tests and benchmarks: a real npm bittorrent-tracker server, the box
// (the seeder_interop example binary) driven over stdin, and webtorrent 3 downloads.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Server } from 'bittorrent-tracker'
import WebTorrent from 'webtorrent'

export const HOST = process.env.SEEDER_HOST || '198.18.0.1'

/** Starts a WebSocket-only bittorrent-tracker server; resolves to { server, url }. */
export async function startTracker () {
  const server = new Server({ udp: false, http: false, ws: true, stats: false })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, resolve)
  })
  return { server, url: `ws://${HOST}:${server.ws.address().port}` }
}

/** Spawns the box; `cmd(line)` sends a command and resolves to its JSON reply. */
export async function startBox (bin, trackerUrl) {
  const child = spawn(bin, [trackerUrl, `${HOST}:0`, HOST], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const waiting = []
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)))
  const next = () => new Promise((resolve) => waiting.push(resolve))
  const ready = await next()
  const cmd = (line) => {
    const reply = next()
    child.stdin.write(line + '\n')
    return reply
  }
  return { child, ready, cmd, stop: () => child.kill('SIGTERM') }
}

/** A webtorrent client for LAN use: no DHT/LSD/uTP, no STUN. */
export function newClient () {
  return new WebTorrent({
    dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false,
    tracker: { rtcConfig: { iceServers: [] } }
  })
}

/** Downloads `torrentId` (magnet or .torrent bytes) with `client`; resolves to the file bytes. */
export function download (client, torrentId, announce, timeoutMs = 60000) {
  const path = mkdtempSync(join(tmpdir(), 'vb-wt-'))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`download timed out after ${timeoutMs} ms`)), timeoutMs)
    client.add(torrentId, { path, announce }, (torrent) => {
      const finish = () => {
        clearTimeout(timer)
        const bytes = readFileSync(join(path, torrent.files[0].path))
        rmSync(path, { recursive: true, force: true })
        resolve({ bytes, torrent })
      }
      if (torrent.done) finish()
      else torrent.once('done', finish)
    })
  })
}
