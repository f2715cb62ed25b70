// The viewer's settings from its URL: where signaling, the tracker and the playlist are, and
// whether to play from R2 over HTTP (remote viewers) or without P2P.

/** Parses `location` (a URL) into the viewer's configuration. */
export function readConfig(location) {
  const url = new URL(location.href);
  const q = url.searchParams;
  const wsBase = new URL('.', url);
  wsBase.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const onR2 = /(^|\.)r2\.(dev|cloudflarestorage\.com)$/.test(url.hostname);
  const source = q.get('source') || (onR2 ? 'r2' : 'box');
  return {
    baseUrl: new URL('.', url).href,
    playlist: new URL(q.get('playlist') || 'hls/live.m3u8', url).href,
    source,
    signalUrl: source === 'r2' ? null : q.get('signal') || new URL('signal', wsBase).href,
    tracker: q.get('tracker') || new URL('announce', wsBase).href,
    trackerForced: q.has('tracker'),
    p2p: q.get('p2p') !== '0' && source !== 'r2',
    forceNative: q.get('native') === '1',
    showStats: q.get('stats') === '1',
    reportEveryMs: 5000,
  };
}
