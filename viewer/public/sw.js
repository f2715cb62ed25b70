// VenueBox viewer service worker (registered over HTTPS only): keeps the app shell for
// installability and quick starts; the live stream (/hls, /signal, /announce, /api) always goes
// to the network.
const CACHE = 'venuebox-shell-v1';
const SHELL = ['./', './index.html', './manifest.webmanifest', './icons/icon-192.png', './icons/icon-512.png'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (/\/(hls|api|signal|announce|metrics)(\/|$)/.test(url.pathname)) return;
  const immutable = url.pathname.includes('/assets/');
  e.respondWith(
    immutable
      ? caches.match(e.request).then((hit) => hit || fetchAndKeep(e.request))
      : fetchAndKeep(e.request).catch(() => caches.match(e.request)),
  );
});

function fetchAndKeep(request) {
  return fetch(request).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(request, copy));
    }
    return res;
  });
}
