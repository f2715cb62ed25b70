// The viewer's entry point: plays the box's live playlist, through hls.js where Media Source
// Extensions exist and natively elsewhere (Safari, iOS), and keeps close to the live edge.
import Hls from 'hls.js';

const PLAYLIST = new URL('hls/live.m3u8', document.baseURI).href;
const video = document.getElementById('video');
const state = document.getElementById('state');

function show(text) {
  state.textContent = text;
}

function playHlsJs() {
  const hls = new Hls({ liveSyncDurationCount: 3, liveMaxLatencyDurationCount: 6, lowLatencyMode: false });
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => show('Tap to play')));
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    show(`Recovering (${data.details})…`);
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else setTimeout(() => hls.loadSource(PLAYLIST), 1000);
  });
  hls.loadSource(PLAYLIST);
  hls.attachMedia(video);
  window.venuebox = { hls };
}

function playNative() {
  video.src = PLAYLIST;
  video.addEventListener('loadedmetadata', () => video.play().catch(() => show('Tap to play')));
}

video.addEventListener('playing', () => show('Live'));
video.addEventListener('waiting', () => show('Buffering…'));
video.addEventListener('click', () => video.play());

if (Hls.isSupported()) playHlsJs();
else if (video.canPlayType('application/vnd.apple.mpegurl')) playNative();
else show('This browser cannot play HLS.');
