// The stats overlay: P2P share (other viewers only), mesh links, peer connections made, latency
// behind live, buffer, stalls, bytes by source; toggled with the `s` key or a tap on the status
// line, refreshed every second while shown.

function mib(n) {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function render(s) {
  const lat = s.latencyS === null ? 'n/a' : `${s.latencyS.toFixed(1)} s`;
  const box = s.boxLinks ? ` (${s.boxLinks} to the box)` : '';
  return [
    `mode        ${s.mode}`,
    `P2P share   ${(s.p2pShare * 100).toFixed(0)} % (from other viewers)`,
    `links       ${s.peers}${box}`,
    `peer conns  ${s.peerConnectionsCreated} made, ${s.peerConnectionsOpen} open`,
    `behind live ${lat}`,
    `buffer      ${s.bufferS.toFixed(1)} s`,
    `stalls      ${s.stalls} (${s.stallS.toFixed(1)} s)`,
    `from viewers ${mib(s.peerBytes)}`,
    `from box    seeder ${mib(s.seederBytes)}  HTTP ${mib(s.boxBytes)}`,
    `from R2     ${mib(s.r2Bytes)}`,
    `uploaded    ${mib(s.uploadBytes)}`,
  ].join('\n');
}

/** Binds the overlay element `el` to `snapshot()`; `toggleEl` taps toggle it too. */
export function bindOverlay(el, toggleEl, snapshot, shown) {
  let timer = null;
  const update = () => (el.textContent = render(snapshot()));
  const set = (on) => {
    el.hidden = !on;
    clearInterval(timer);
    if (on) {
      update();
      timer = setInterval(update, 1000);
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 's' || e.key === 'S') set(el.hidden);
  });
  toggleEl.addEventListener('click', () => set(el.hidden));
  set(shown);
}
