// Counts the page's RTCPeerConnections: the constructor handed to the mesh engine is a subclass
// of the browser's that counts every connection made and those not yet closed (the issue's
// "peer connections created per viewer-minute" is read from here, not from the engine).

/** `{created, open}`, and `Ctor`: `Base` counting into them. */
export function countingPeerConnection(Base) {
  const counts = { created: 0, open: 0 };
  class CountedPeerConnection extends Base {
    constructor(...args) {
      super(...args);
      counts.created++;
      counts.open++;
      this.vbCounted = true;
    }

    close() {
      // close() fires no event in browsers: count here, once.
      if (this.vbCounted) {
        this.vbCounted = false;
        counts.open--;
      }
      return super.close();
    }
  }
  return { Ctor: CountedPeerConnection, counts };
}
