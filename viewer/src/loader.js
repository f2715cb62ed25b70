// The hls.js fragment loader: segments that signaling announced with a torrent go through
// fetchSegment (the live mesh until the deadline, then verified HTTP pieces; or verified HTTP
// pieces alone); anything else (init segments, segments not yet announced or without a torrent),
// or a failure there, goes to hls.js's own loader.
import { fetchSegment } from './segment-fetch.js';

/** Builds the loader class for `Hls` around `app` (segment lookup, the mesh, deadlines). */
export function makeFragmentLoader(Hls, app) {
  const HttpLoader = Hls.DefaultConfig.loader;

  return class SegmentLoader {
    constructor(config) {
      this.config = config;
      this.http = null;
      this.own = newStats();
      this.ac = null;
      this.timer = null;
      this.callbacks = null;
    }

    get stats() {
      return this.http ? this.http.stats : this.own;
    }

    load(context, config, callbacks) {
      this.context = context;
      const seg = context.rangeEnd ? null : app.segmentForUrl(context.url);
      if (!seg?.torrent) return this.viaHttp(context, config, callbacks);
      this.callbacks = callbacks;
      this.ac = new AbortController();
      this.own.loading.start = performance.now();
      const maxMs = config.loadPolicy?.maxLoadTimeMs || 20000;
      this.timer = setTimeout(() => this.timedOut(context), maxMs);
      const mesh = app.mesh?.holds(seg) ? app.mesh : null;
      const opts = { mesh, waitMs: mesh ? app.p2pWaitMs(seg) : 0, stats: app.stats, signal: this.ac.signal };
      fetchSegment(seg, { ...opts, baseUrl: app.baseUrl })
        .then((r) => this.succeeded(context, r))
        .catch((e) => this.failed(context, config, e));
    }

    viaHttp(context, config, callbacks) {
      this.http = new HttpLoader(this.config);
      const onSuccess = callbacks.onSuccess;
      const wrapped = {
        ...callbacks,
        onSuccess: (res, stats, ctx, details) => {
          app.stats.add(app.httpSource, res.data?.byteLength || 0);
          onSuccess(res, stats, ctx, details);
        },
      };
      this.http.load(context, config, wrapped);
    }

    succeeded(context, r) {
      const cb = this.finish();
      if (!cb) return;
      const s = this.own;
      s.loading.first = s.loading.end = performance.now();
      s.loaded = s.total = r.data.byteLength;
      s.bwEstimate = (s.total * 8000) / Math.max(1, s.loading.end - s.loading.start);
      app.segmentLoaded(r);
      console.debug(`segment ${context.url.split('/').pop()}: ${r.p2pPieces} P2P + ${r.httpPieces} HTTP pieces in ${Math.round(s.loading.end - s.loading.start)} ms`);
      cb.onSuccess({ url: context.url, data: r.data.buffer, code: 200 }, s, context, null);
    }

    failed(context, config, e) {
      const cb = this.finish();
      if (!cb || this.own.aborted) return;
      console.warn(`segment ${context.url}: ${e.message}; plain HTTP`);
      this.viaHttp(context, config, cb);
    }

    timedOut(context) {
      const cb = this.finish();
      this.ac?.abort();
      cb?.onTimeout(this.own, context, null);
    }

    finish() {
      clearTimeout(this.timer);
      const cb = this.callbacks;
      this.callbacks = null;
      return cb;
    }

    abort() {
      if (this.http) return this.http.abort(); // it reports onAbort itself
      this.own.aborted = true;
      this.ac?.abort();
      const cb = this.finish();
      cb?.onAbort?.(this.own, this.context, null);
    }

    destroy() {
      // Like hls.js's own loaders: no callbacks from destroy (hls.js calls it from onAbort).
      this.callbacks = null;
      clearTimeout(this.timer);
      this.own.aborted = true;
      this.ac?.abort();
      this.http?.destroy();
      this.http = null;
    }
  };
}

function newStats() {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}
