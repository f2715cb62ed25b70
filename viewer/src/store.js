// An in-memory chunk store for webtorrent (abstract-chunk-store interface) that lets the loader
// read verified pieces directly and frees them all when the segment's torrent is released.

/** Pieces of one torrent, kept in memory; `bytes` counts what it holds. */
export class SegmentStore {
  constructor(chunkLength, opts = {}) {
    this.chunkLength = Number(chunkLength);
    this.length = Number(opts.length);
    this.chunks = [];
    this.bytes = 0;
    this.closed = false;
  }

  put(index, buf, cb = () => {}) {
    if (this.closed) return queueMicrotask(() => cb(new Error('store is closed')));
    if (!this.chunks[index]) this.bytes += buf.length;
    this.chunks[index] = buf;
    queueMicrotask(() => cb(null));
  }

  get(index, opts, cb = () => {}) {
    if (typeof opts === 'function') return this.get(index, null, opts);
    const buf = this.closed ? null : this.chunks[index];
    if (!buf) {
      const err = new Error('chunk not found');
      err.notFound = true;
      return queueMicrotask(() => cb(err));
    }
    const offset = opts?.offset || 0;
    const len = opts?.length || buf.length - offset;
    queueMicrotask(() => cb(null, offset === 0 && len === buf.length ? buf : buf.subarray(offset, offset + len)));
  }

  close(cb = () => {}) {
    this.closed = true;
    this.chunks = [];
    this.bytes = 0;
    queueMicrotask(() => cb(null));
  }

  destroy(cb = () => {}) {
    this.close(cb);
  }
}
