// The fragment loader against a stand-in of hls.js's loader contract: delegation to the HTTP
// loader for unknown segments, and abort/destroy without re-entering hls.js (no recursion).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeFragmentLoader } from '../src/loader.js';

/** Behaves like hls.js's XhrLoader on abort: reports onAbort, which makes hls.js destroy it. */
class HttpLoaderLike {
  constructor() {
    this.stats = { aborted: false, loading: {} };
  }
  load(context, config, callbacks) {
    this.callbacks = callbacks;
    this.context = context;
  }
  abort() {
    this.stats.aborted = true;
    this.callbacks?.onAbort?.(this.stats, this.context, null);
  }
  destroy() {
    this.callbacks = null;
  }
}

const app = { segmentForUrl: () => null, stats: { add() {} }, httpSource: 'box' };
const Loader = makeFragmentLoader({ DefaultConfig: { loader: HttpLoaderLike } }, app);

test('aborting a delegated load reports once and survives hls.js destroying the loader', () => {
  const loader = new Loader({});
  let aborts = 0;
  loader.load({ url: 'http://box/hls/seg-1.ts' }, { loadPolicy: {} }, {
    onSuccess() {},
    onError() {},
    onTimeout() {},
    onAbort() {
      aborts++;
      loader.destroy(); // what hls.js's resetLoader does
    },
  });
  loader.abort();
  loader.abort();
  assert.equal(aborts, 1);
  assert.equal(loader.stats.aborted, true);
});

test('destroy never calls back', () => {
  const loader = new Loader({});
  let calls = 0;
  const cb = () => calls++;
  loader.load({ url: 'http://box/hls/seg-2.ts' }, { loadPolicy: {} }, { onSuccess: cb, onError: cb, onTimeout: cb, onAbort: cb });
  loader.destroy();
  assert.equal(calls, 0);
});
