// What a viewer does when the box goes away: drop its sockets, come back 1-2 s later.

/** Reconnects `viewer` (`connect()`, `gone`, `resumes`) 1-2 s after any of `sockets` closes or
 * fails, unless the viewer has left. */
export function reconnectOnLoss(viewer, sockets) {
  const lost = () => {
    if (viewer.gone || viewer.reconnecting) return;
    viewer.reconnecting = true;
    for (const ws of sockets) ws.terminate();
    setTimeout(() => {
      viewer.reconnecting = false;
      if (!viewer.gone) {
        viewer.resumes++;
        viewer.connect();
      }
    }, 1000 + Math.random() * 1000);
  };
  for (const ws of sockets) {
    ws.on('close', lost);
    ws.on('error', lost);
  }
}
