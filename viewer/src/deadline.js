// How long a segment may wait for peers before its missing pieces are fetched over HTTP: what
// the buffer can spare after keeping a reserve for the HTTP fetch itself.

/** Smallest reserve of buffered media kept for the HTTP fill, in seconds. */
export const MIN_RESERVE_S = 1.5;

/**
 * Milliseconds to wait for peers. `bufferAheadS`: media buffered past the playhead;
 * `segmentS`: the segment's duration; `httpEstimateS`: how long an HTTP fetch of a whole
 * segment took lately; `p2pHealthy`: whether peers delivered anything lately.
 */
export function p2pWaitMs({ bufferAheadS, segmentS, httpEstimateS, p2pHealthy }) {
  const reserve = Math.max(MIN_RESERVE_S, 2 * httpEstimateS + 0.5);
  const cap = p2pHealthy ? Math.max(1, 1.5 * segmentS) : 0.5;
  const wait = Math.min(Math.max(bufferAheadS - reserve, 0), cap);
  return Math.round(wait * 1000);
}

/** Seconds of media buffered past `t` in `ranges` (a TimeRanges). */
export function bufferAhead(ranges, t) {
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= t + 0.25 && ranges.end(i) > t) return ranges.end(i) - t;
  }
  return 0;
}
