// Seeder benchmark (issue 4): the box's WebRTC seeder against a stock Node webtorrent 3 seeder,
// in the same run, behind the same npm bittorrent-tracker, inside the network namespace made by
// scripts/bench/seeder.sh. Prints markdown tables:
//  1. throughput: N viewer processes (PEERS, default 1,4,16) each fetch the same SEGMENTS
//     segments of SEG_BYTES one after the other; MB the seeder uploaded (its own counter), time
//     from "go" until every viewer had every segment, aggregate MB/s, upload / segment bytes,
//     seeder CPU seconds;
//  2. connections: a burst of BURST raw peers (4 processes, one swarm each so every offer goes
//     to the seeder) announce at once; accepted connections per second from the first announce
//     to the last data channel open; the peers then hold their connections and the seeder's
//     VmRSS with them, minus VmRSS with none, divided by the peers, is the RSS per connection.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTracker } from './seeder-box.mjs'
import { jsonChild, rssBytes, cpuSeconds, fdCount, sleep, waitFor } from './bench-procs.mjs'
import { boxSeeder, nodeSeeder } from './bench-seeders.mjs'

const env = (k, d) => process.env[k] ?? d
const BIN = env('SEEDER_BIN')
const BUILD = env('SEEDER_BUILD', 'debug')
const PEERS = env('PEERS', '1,4,16').split(',').filter(Boolean).map(Number)
const SEGMENTS = Number(env('SEGMENTS', 5))
const SEG_BYTES = Number(env('SEG_BYTES', 625000))
const BURST = Number(env('BURST', 32))
const BURST_REPEAT = Number(env('BURST_REPEAT', 1))
const SEEDERS = env('SEEDERS', 'box,node').split(',')
const BURST_PROCS = 4
const ROUND_TIMEOUT_MS = 180000
const here = (f) => new URL(f, import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'vb-seedbench-'))
const MB = (b) => (b / 1e6).toFixed(2)
const log = (s) => console.error(`# ${s}`)

/** SEGMENTS random segment files; the Node seeder gets copies under other names (other info hashes). */
function makeSegments (tag) {
  const segs = []
  for (let k = 0; k < SEGMENTS; k++) {
    const bytes = randomBytes(SEG_BYTES)
    const name = `seg-${tag}-${String(k).padStart(5, '0')}`
    const box = join(dir, `${name}.ts`)
    const node = join(dir, `${name}-wt.ts`)
    writeFileSync(box, bytes)
    writeFileSync(node, bytes)
    segs.push({ box, node, sha1: createHash('sha1').update(bytes).digest('hex') })
  }
  return segs
}

/** Starts N viewer processes on `torrents`, all at once on "go"; resolves to the round's figures. */
async function viewers (n, torrents, trackerUrl, sha1s) {
  const procs = Array.from({ length: n }, () => jsonChild(process.execPath, [here('./bench-peer.mjs'), trackerUrl, ...torrents]))
  try {
    await Promise.all(procs.map((p) => p.next(60000)))
    const t0 = Date.now()
    const fetchMs = []
    procs.forEach((p) => p.send('go'))
    const results = await Promise.allSettled(procs.map(async (p) => {
      for (;;) {
        const m = await p.next(ROUND_TIMEOUT_MS - (Date.now() - t0))
        if (m.done) return Date.now()
        if (m.sha1 !== sha1s[m.seg]) throw new Error(`segment ${m.seg}: wrong bytes`)
        fetchMs.push(m.ms)
      }
    }))
    fetchMs.sort((a, b) => a - b)
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message)
    const last = Math.max(t0, ...results.filter((r) => r.status === 'fulfilled').map((r) => r.value))
    const fetch = fetchMs.length ? `${fetchMs[fetchMs.length >> 1]} / ${fetchMs[fetchMs.length - 1]}` : '-'
    return { seconds: (last - t0) / 1000, completed: n - failed.length, failed, fetch }
  } finally {
    await Promise.all(procs.map((p) => p.close()))
  }
}

async function throughputRound (seeder, n, segs, trackerUrl) {
  const files = segs.map((s) => (seeder.kind === 'box' ? s.box : s.node))
  const torrents = await seeder.add(files)
  const hashes = torrents.map((t) => t.info_hash)
  const cpu0 = cpuSeconds(seeder.pid)
  const r = await viewers(n, torrents.map((t) => t.torrent), trackerUrl, segs.map((s) => s.sha1))
  const cpu = cpuSeconds(seeder.pid) - cpu0
  const uploaded = await seeder.uploaded(hashes)
  await seeder.removeAll()
  await waitFor(async () => (await seeder.peers()) === 0, 20000)
  const segBytes = SEGMENTS * SEG_BYTES
  const row = {
    seeder: seeder.name,
    peers: n,
    served: MB(uploaded),
    seconds: r.seconds.toFixed(2),
    mbps: MB((r.completed * segBytes) / r.seconds),
    ratio: `${(uploaded / segBytes).toFixed(2)}x`,
    cpu: cpu.toFixed(2),
    fetch: r.fetch,
    completed: `${r.completed}/${n}`
  }
  if (r.failed.length) log(`${seeder.name} x${n}: ${r.failed.length} viewers failed: ${[...new Set(r.failed)].join('; ')}`)
  return row
}

async function burst (seeder, trackerUrl) {
  const files = Array.from({ length: BURST }, (_, i) => {
    const f = join(dir, `burst-${seeder.kind}-${i}.ts`)
    writeFileSync(f, randomBytes(64 * 1024))
    return f
  })
  const hashes = (await seeder.add(files)).map((t) => t.info_hash)
  const idle = await waitFor(async () => (await seeder.peers()) === 0, 20000)
  await sleep(1000)
  const rss0 = rssBytes(seeder.pid)
  log(`${seeder.name}: RSS ${MB(rss0)} MB with ${idle ? 'no' : await seeder.peers()} peers before the burst`)
  const cpu0 = cpuSeconds(seeder.pid)
  const slices = Array.from({ length: BURST_PROCS }, (_, i) => hashes.filter((_, j) => j % BURST_PROCS === i))
  const procs = slices.map((s) => jsonChild(process.execPath, [here('./burst-peers.mjs'), trackerUrl, ...s]))
  try {
    await Promise.all(procs.map((p) => p.next(60000)))
    procs.forEach((p) => p.send('go'))
    const events = (await Promise.all(procs.map(async (p, i) => {
      const out = []
      while (out.length < slices[i].length) {
        const m = await p.next(90000)
        if (m.t1 || m.failed) out.push(m)
      }
      return out
    }))).flat()
    const ok = events.filter((e) => e.t1)
    const span = (Math.max(...ok.map((e) => e.t1)) - Math.min(...events.map((e) => e.t0 ?? Infinity))) / 1000
    const setup = ok.map((e) => e.t1 - e.t0).sort((a, b) => a - b)
    const cpuMs = (cpuSeconds(seeder.pid) - cpu0) * 1000
    await sleep(2000) // handshakes exchanged, connections settled
    const held = await seeder.peers()
    const rssN = rssBytes(seeder.pid)
    log(`${seeder.name}: ${fdCount(seeder.pid)} open files with ${held} peers held`)
    return {
      seeder: seeder.name,
      burst: BURST,
      connected: ok.length,
      seconds: span.toFixed(2),
      perSecond: (ok.length / span).toFixed(1),
      setupMedian: setup.length ? Math.round(setup[setup.length >> 1]) : '-',
      setupMax: setup.length ? Math.round(setup[setup.length - 1]) : '-',
      cpuPerConn: ok.length ? (cpuMs / ok.length).toFixed(1) : '-',
      held,
      rss0: MB(rss0),
      rssN: MB(rssN),
      perConn: ok.length ? ((rssN - rss0) / ok.length / 1024).toFixed(0) : '-'
    }
  } finally {
    await Promise.all(procs.map((p) => p.close()))
    await seeder.removeAll()
  }
}

function table (rows, cols) {
  const head = cols.map((c) => c[0])
  const lines = [head, head.map(() => '---'), ...rows.map((r) => cols.map((c) => String(r[c[1]])))]
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n')
}

async function main () {
  if (!BIN) throw new Error('SEEDER_BIN must name the seeder_interop binary')
  const tracker = await startTracker()
  const box = await boxSeeder(BIN, tracker.url, BUILD)
  const node = await nodeSeeder(tracker.url)
  log(`box pid ${box.pid} RSS at start ${MB(rssBytes(box.pid))} MB; node seeder pid ${node.pid} RSS ${MB(rssBytes(node.pid))} MB`)
  const seeders = [box, node].filter((s) => SEEDERS.includes(s.kind))
  const rounds = []
  try {
    for (const n of PEERS) {
      const segs = makeSegments(`n${n}`)
      for (const seeder of seeders) {
        log(`throughput: ${seeder.name}, ${n} viewers`)
        rounds.push(await throughputRound(seeder, n, segs, tracker.url))
        log(JSON.stringify(rounds.at(-1)))
      }
    }
    const bursts = []
    for (const seeder of seeders.flatMap((s) => Array(BURST_REPEAT).fill(s))) {
      log(`connection burst: ${seeder.name}, ${BURST} peers`)
      const row = await burst(seeder, tracker.url).catch((e) => ({ seeder: seeder.name, burst: BURST, connected: `failed: ${e.message}` }))
      log(JSON.stringify(row))
      bursts.push(row)
    }
    console.log(`Seeders: box = seeder_interop (${BUILD} build); node = webtorrent 3.0.21 + @roamhq/wrtc. ` +
      `${SEGMENTS} segments of ${SEG_BYTES} B per viewer, fetched one after the other.\n`)
    console.log(table(rounds, [['seeder', 'seeder'], ['peers', 'peers'], ['MB served by seeder', 'served'],
      ['s until all complete', 'seconds'], ['aggregate MB/s', 'mbps'], ['seeder upload / segment bytes', 'ratio'],
      ['seeder CPU s', 'cpu'], ['one segment: median / max ms', 'fetch'], ['viewers complete', 'completed']]))
    console.log()
    console.log(table(bursts, [['seeder', 'seeder'], ['burst peers', 'burst'], ['connected', 'connected'],
      ['first offer -> last open s', 'seconds'], ['connections/s', 'perSecond'], ['setup median ms', 'setupMedian'],
      ['setup max ms', 'setupMax'],
      ['seeder CPU ms per connection', 'cpuPerConn'], ['peers held (seeder count)', 'held'], ['RSS 0 peers MB', 'rss0'],
      ['RSS held MB', 'rssN'], ['RSS per connection KiB', 'perConn']]))
  } finally {
    await box.close()
    await node.close()
    tracker.server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const watchdog = setTimeout(() => { console.error('seeder bench: over 20 minutes, giving up'); process.exit(1) }, 20 * 60000)
watchdog.unref()
await main()
process.exit(0)
