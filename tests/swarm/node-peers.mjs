// One process of Node viewers (AUDIENCE=node:N spawns several): each is a webtorrent 3.0.21
// client (@roamhq/wrtc) that follows /signal, adds every segment's torrent with the box's
// tracker (P2P first: other Node viewers and the box's seeder), and fetches a segment not
// complete by its deadline over HTTP from the box. Bytes are counted by source from the wires
// (the box seeder's peer id starts with "-VB"). Commands on stdin, one per line: fig, leave,
// join, quit; `fig` answers with one JSON line of figures.
import { createInterface } from 'node:readline';
import { newClient } from '../interop/seeder-box.mjs';
import { load } from './deps.mjs';
import { VirtualPlayer } from './player-model.mjs';
import { reconnectOnLoss } from './reconnect.mjs';

const [signalUrl, trackerUrl, boxUrl, countArg] = process.argv.slice(2);
const PHASE_MS = Number(process.env.SIM_PHASE_MS || 2000);
const DEADLINE_MS = Number(process.env.NODE_DEADLINE_MS || 3000);
const KEEP = 6; // segments each viewer keeps seeding
const BOX_ID = Buffer.from('-VB').toString('hex');
const { WebSocket } = await load('ws').then((m) => ({ WebSocket: m.WebSocket || m }));
const MemoryChunkStore = await load('memory-chunk-store');
const bencode = await load('bencode');

// bittorrent-tracker pools tracker sockets per URL in a process; a browser page has its own.
// So each viewer gets its own URL (the box ignores the query) and the torrent's own announce
// URL is taken out, or every viewer of this process would share one socket.
function ownTorrent(b64) {
  const t = bencode.decode(Buffer.from(b64, 'base64'));
  delete t.announce;
  delete t['announce-list'];
  return Buffer.from(bencode.encode(t));
}

let nextId = 0;
class NodeViewer {
  constructor() {
    this.id = `${process.pid}-${nextId++}`;
    this.client = newClient();
    this.client.on('error', () => {});
    this.phase = Math.random() * PHASE_MS;
    this.bytes = { peer: 0, seeder: 0, http: 0 };
    this.player = new VirtualPlayer(Date.now());
    this.torrents = []; // [{seq, torrent}] oldest first
    this.gone = false;
    this.resumes = 0;
    this.connect();
    this.statsTimer = setInterval(() => this.report(), 2000);
  }

  connect() {
    this.sig = new WebSocket(signalUrl);
    this.sig.on('message', (d) => this.onSignal(JSON.parse(d)));
    reconnectOnLoss(this, [this.sig]);
  }

  onSignal(m) {
    if (m.type === 'hello') {
      this.player.resync();
      // Like the viewer app, start from the window's last two segments (a segment of cushion).
      for (const seg of m.segments.filter((s) => s.torrent).slice(-2)) this.want(seg, null);
    } else if (m.type === 'segment' && m.torrent) {
      const at = Date.now();
      setTimeout(() => this.want(m, at), this.phase);
    } else if (m.type === 'discontinuity') {
      this.player.resync();
    }
  }

  want(seg, announcedAt) {
    if (this.gone || this.client.destroyed) return;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.player.complete(seg.seq, seg.duration, announcedAt, Date.now());
    };
    const torrent = this.client.add(ownTorrent(seg.torrent), { announce: [`${trackerUrl}?viewer=${this.id}`], store: MemoryChunkStore });
    torrent.on('error', () => {});
    torrent.on('wire', (wire) => {
      const src = wire.peerId && wire.peerId.startsWith(BOX_ID) ? 'seeder' : 'peer';
      wire.on('download', (n) => (this.bytes[src] += n));
    });
    torrent.on('done', finish);
    const timer = setTimeout(async () => {
      if (done || torrent.done) return;
      try {
        const res = await fetch(new URL(seg.url, boxUrl), { signal: AbortSignal.timeout(10000) });
        const body = await res.arrayBuffer();
        this.bytes.http += body.byteLength; // received, even if peers finished first
        if (!res.ok || done) return;
        finish();
        torrent.destroy(); // fetched whole over HTTP: not seeded on (webtorrent cannot adopt it)
      } catch {
        // the box is away: a stall shows it
      }
    }, DEADLINE_MS);
    this.torrents.push({ seq: seg.seq, torrent });
    while (this.torrents.length > KEEP) this.torrents.shift().torrent.destroy();
  }

  report() {
    const f = this.player.figures(Date.now());
    if (this.sig.readyState !== 1) return;
    this.sig.send(JSON.stringify({ v: 1, type: 'stats', bytes_p2p: this.bytes.peer + this.bytes.seeder, bytes_http: this.bytes.http, bytes_r2: 0, peers: Math.min(10000, this.torrents.reduce((a, t) => a + (t.torrent.numPeers || 0), 0)), buffer_secs: 0, latency_secs: null, stalls: f.stalls }));
  }

  leave() {
    this.gone = true;
    clearInterval(this.statsTimer);
    this.sig.close();
    this.client.destroy(() => {});
  }

  figures(now) {
    return { id: this.id, kind: 'node', bytes: { ...this.bytes }, resumes: this.resumes, left: this.gone, ...this.player.figures(now) };
  }
}

const viewers = [];
for (let i = 0; i < Number(countArg); i++) viewers.push(new NodeViewer());
createInterface({ input: process.stdin }).on('line', (cmd) => {
  if (cmd === 'fig') process.stdout.write(JSON.stringify(viewers.map((v) => v.figures(Date.now()))) + '\n');
  else if (cmd === 'leave') viewers.find((v) => !v.gone)?.leave();
  else if (cmd === 'join') viewers.push(new NodeViewer());
  else if (cmd === 'quit') {
    for (const v of viewers) if (!v.gone) v.leave();
    setTimeout(() => process.exit(0), 500);
  }
});
process.stdout.write('ready\n');
