// Installability: the manifest is linked from index.html; the service worker (app shell only,
// never the live stream) is registered only over HTTPS, where browsers allow it.

/** Registers sw.js when the page is served over HTTPS. */
export function registerServiceWorker() {
  if (location.protocol !== 'https:' || !('serviceWorker' in navigator)) return false;
  navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('service worker:', e.message));
  return true;
}
