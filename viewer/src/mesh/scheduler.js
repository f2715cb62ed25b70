// Which blocks to request from which neighbour: segments in priority order, within a segment
// the rarest pieces first (fewest neighbours hold them, ties broken at random), each block once
// in flight, to the holder with the most free request slots (at most 32 per link, wire.js).

/** What a neighbour holds: per segment a bitmap of pieces (bounded number of segments). */
export class Holdings {
  constructor(maxSegments = 64) {
    this.maxSegments = maxSegments;
    this.bits = new Map(); // seq -> Uint8Array(count)
  }

  holds(seq, i) {
    return !!this.bits.get(seq)?.[i];
  }

  /** Sets the pieces of a `have` (replacing what was known). */
  setAll(seq, count, pieces) {
    const bits = new Uint8Array(count);
    for (const i of pieces) bits[i] = 1;
    this.bits.delete(seq);
    this.bits.set(seq, bits);
    this.trim();
  }

  add(seq, i, count = 1024) {
    let bits = this.bits.get(seq);
    if (!bits) {
      bits = new Uint8Array(count);
      this.bits.set(seq, bits);
      this.trim();
    }
    if (i < bits.length) bits[i] = 1;
  }

  drop(seq) {
    this.bits.delete(seq);
  }

  trim() {
    while (this.bits.size > this.maxSegments) this.bits.delete(Math.min(...this.bits.keys()));
  }
}

/**
 * Picks requests. `segments`: incomplete Segments, most urgent first; `peers`: [{link,
 * holdings}] of ready links; `inFlight(seq, piece, begin)`: whether a block is already asked
 * for. Returns [{peer, seq, piece, begin, length}].
 */
export function pickRequests(segments, peers, inFlight, random = Math.random) {
  const free = new Map(peers.map((p) => [p, p.link.freeRequests()]));
  let total = [...free.values()].reduce((a, b) => a + b, 0);
  const out = [];
  for (const seg of segments) {
    if (total <= 0) break;
    for (const { i, holders } of rarestFirst(seg, peers, random)) {
      for (let b = 0; b < seg.blockCount(i) && total > 0; b++) {
        const [begin, length] = seg.blockRange(i, b);
        if (seg.hasBlock(i, b) || inFlight(seg.seq, i, begin)) continue;
        // a block whose request to a link timed out goes to another holder if there is one
        const key = `${seg.seq}:${i}:${begin}`;
        const fresh = holders.filter((p) => !p.link.late?.has(key));
        const peer = leastLoaded(fresh, free) || leastLoaded(holders, free);
        if (!peer) break;
        free.set(peer, free.get(peer) - 1);
        total--;
        out.push({ peer, seq: seg.seq, piece: i, begin, length });
      }
    }
  }
  return out;
}

function rarestFirst(seg, peers, random) {
  const list = [];
  for (let i = 0; i < seg.count; i++) {
    if (seg.has(i)) continue;
    const holders = peers.filter((p) => p.holdings.holds(seg.seq, i));
    if (holders.length) list.push({ i, holders, rank: holders.length + random() });
  }
  return list.sort((a, b) => a.rank - b.rank);
}

function leastLoaded(holders, free) {
  let best = null;
  for (const p of holders) if (free.get(p) > 0 && (!best || free.get(p) > free.get(best))) best = p;
  return best;
}
