// The viewer's settings from its URL: where signaling, the tracker and the playlist are, and
// whether to play from R2 over HTTP (remote viewers) or without P2P.

/**
 * `raw` resolved against the page, if it stays on the page's own host (any port of the box) with
 * one of `schemes`; otherwise null. A forged link or QR code must not point the box's page at
 * someone else's playlist, signaling or tracker (docs/THREATS.md, T9).
 */
export function sameHost(raw, page, schemes) {
  if (raw == null) return null;
  try {
    const u = new URL(raw, page);
    return u.hostname === page.hostname && schemes.includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** Parses `location` (a URL) into the viewer's configuration. */
export function readConfig(location) {
  const url = new URL(location.href);
  const q = url.searchParams;
  const wsBase = new URL('.', url);
  wsBase.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const onR2 = /(^|\.)r2\.(dev|cloudflarestorage\.com)$/.test(url.hostname);
  const source = q.get('source') || (onR2 ? 'r2' : 'box');
  const http = ['http:', 'https:'];
  const ws = ['ws:', 'wss:'];
  const tracker = sameHost(q.get('tracker'), url, ws);
  return {
    baseUrl: new URL('.', url).href,
    playlist: sameHost(q.get('playlist'), url, http) || new URL('hls/live.m3u8', url).href,
    source,
    signalUrl: source === 'r2' ? null : sameHost(q.get('signal'), url, ws) || new URL('signal', wsBase).href,
    tracker: tracker || new URL('announce', wsBase).href,
    trackerForced: tracker !== null,
    p2p: q.get('p2p') !== '0' && source !== 'r2',
    forceNative: q.get('native') === '1',
    showStats: q.get('stats') === '1',
    reportEveryMs: 5000,
  };
}
