// Turns the run's samples and the audience's figures into the item-2 figures and a Markdown row.
const pct = (xs, q) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};
const f1 = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

/** Figures from the first and last samples, all samples, and the viewers' own figures. */
export function figures({ first, last, samples, viewers, secs, modelledSeederBytes = 0, seederUploaded }) {
  const bytes = { peer: 0, seeder: 0, http: 0 };
  for (const v of viewers) for (const k of Object.keys(bytes)) bytes[k] += v.bytes[k] || 0;
  const total = bytes.peer + bytes.seeder + bytes.http;
  const trk = (s) => {
    const t = s.status?.tracker || {};
    return (t.announces || 0) + (t.offers_relayed || 0) + (t.answers_relayed || 0) + (t.scrapes || 0);
  };
  const httpSeg = (s) => s.status?.http?.segment_bytes || 0;
  // After a box restart its counters start again: sum the increases between samples.
  let httpBytes = 0;
  let trackerMsgs = 0;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    if (!a.status || !b.status) continue;
    httpBytes += Math.max(0, httpSeg(b) - httpSeg(a));
    trackerMsgs += Math.max(0, trk(b) - trk(a));
  }
  const egress = httpBytes + seederUploaded + modelledSeederBytes;
  const bitrate = last.status?.ingest?.bitrate_bps || first.status?.ingest?.bitrate_bps || null;
  const playable = viewers.flatMap((v) => v.playable || []);
  const startups = viewers.map((v) => v.startupS).filter((x) => x !== null && x !== undefined);
  const watched = viewers.reduce((a, v) => a + (v.watchedS || 0), 0);
  const stalled = viewers.reduce((a, v) => a + (v.stallS || 0), 0);
  const withProc = samples.filter((s) => s.proc);
  let cpu = withProc.length > 1 ? 0 : null; // a restarted box counts from zero again
  for (let i = 1; i < withProc.length; i++) {
    const [a, b] = [withProc[i - 1].proc, withProc[i].proc];
    cpu += a.pid === b.pid ? b.cpuS - a.cpuS : b.cpuS;
  }
  const rss = withProc.map((s) => s.proc.rss);
  const rssNoWindow = withProc.filter((s) => s.status).map((s) => s.proc.rss - (s.status.window?.bytes || 0));
  return {
    viewers: viewers.length,
    bytes,
    p2pShare: total ? bytes.peer / total : null,
    webrtcShare: total ? (bytes.peer + bytes.seeder) / total : null,
    egressBytes: egress,
    egressOverBitrate: bitrate ? (egress * 8) / secs / bitrate : null,
    bitrateBps: bitrate,
    playableP50Ms: pct(playable, 0.5),
    playableP95Ms: pct(playable, 0.95),
    startupP50S: pct(startups, 0.5),
    startupMaxS: startups.length ? Math.max(...startups) : null,
    started: startups.length,
    stallRatio: watched ? stalled / watched : null,
    cpuPct: cpu === null ? null : (100 * cpu) / secs, // of one core
    rssMaxMB: rss.length ? Math.max(...rss) / 2 ** 20 : null,
    rssNoWindowMaxMB: rssNoWindow.length ? Math.max(...rssNoWindow) / 2 ** 20 : null,
    trackerMsgsPerS: trackerMsgs / secs,
  };
}

export const HEADER = '| audience | fault | secs | P2P share (viewers / +box seeder) | box egress / bitrate | segment -> playable p50 / p95 | startup p50 / max | stall ratio | box CPU (1 core = 100 %) | RSS max / without window | tracker msgs/s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';

export function row(audience, fault, secs, f) {
  return `| ${audience} | ${fault || '-'} | ${secs} | ${f1(f.p2pShare * 100)} % / ${f1(f.webrtcShare * 100)} % | ${f1(f.egressOverBitrate, 2)}x | ${f1(f.playableP50Ms / 1000, 2)} s / ${f1(f.playableP95Ms / 1000, 2)} s | ${f1(f.startupP50S, 2)} s / ${f1(f.startupMaxS, 2)} s | ${f1(f.stallRatio * 100, 2)} % | ${f1(f.cpuPct)} % | ${f1(f.rssMaxMB)} MB / ${f1(f.rssNoWindowMaxMB)} MB | ${f1(f.trackerMsgsPerS, 0)} |`;
}

/** What viewers saw around a fault: stalls, and the time from its end to each viewer's next segment. */
export function faultView(fault, before, after) {
  const byId = new Map(before.map((v) => [v.id, v]));
  const recover = [];
  let newStallS = 0;
  let stalledViewers = 0;
  after.forEach((v) => {
    const b = byId.get(v.id);
    const d = (v.stallS || 0) - (b?.stallS || 0);
    newStallS += d;
    if (d > 0.25) stalledViewers++;
    const next = (v.completedAt || []).find((t) => t > fault.endAt);
    if (next) recover.push((next - fault.endAt) / 1000);
  });
  return {
    ...fault,
    viewers: after.length,
    stalledViewers,
    stallS: newStallS,
    resumed: recover.length,
    recoverP50S: pct(recover, 0.5),
    recoverMaxS: recover.length ? Math.max(...recover) : null,
    longestFreezeMaxS: after.some((v) => v.longestFreezeS != null) ? Math.max(...after.map((v) => v.longestFreezeS || 0)) : null,
  };
}
