// Turns the run's samples and the audience's figures into the item-2 figures and a Markdown row.
const pct = (xs, q) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};
const f1 = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

/** Bytes the box's seeder sent as a live-mesh member (frames; `seeder.mesh` of /api/status). */
const meshSent = (s) => s.status?.seeder?.mesh?.bytes_sent || 0;

/** The service's CPU seconds across samples with /proc figures, or null with fewer than two (a
 * restarted box counts from zero again). */
export function cpuSeconds(withProc) {
  if (withProc.length < 2) return null;
  let cpu = 0;
  for (let i = 1; i < withProc.length; i++) {
    const [a, b] = [withProc[i - 1].proc, withProc[i].proc];
    cpu += a.pid === b.pid ? b.cpuS - a.cpuS : b.cpuS;
  }
  return cpu;
}

/** Figures from the first and last samples, all samples, and the viewers' own figures. */
export function figures({ first, last, samples, viewers, secs, modelledSeederBytes = 0, seederUploaded }) {
  const bytes = { peer: 0, seeder: 0, http: 0, r2: 0 }; // r2: browsers only (others count it in http)
  for (const v of viewers) for (const k of Object.keys(bytes)) bytes[k] += v.bytes[k] || 0;
  const total = bytes.peer + bytes.seeder + bytes.http + bytes.r2;
  const trk = (s) => {
    const t = s.status?.tracker || {};
    return (t.announces || 0) + (t.offers_relayed || 0) + (t.answers_relayed || 0) + (t.scrapes || 0);
  };
  const httpSeg = (s) => s.status?.http?.segment_bytes || 0;
  // After a box restart its counters start again: sum the increases between samples.
  let httpBytes = 0;
  let trackerMsgs = 0;
  let meshBytes = 0;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    if (!a.status || !b.status) continue;
    httpBytes += Math.max(0, httpSeg(b) - httpSeg(a));
    meshBytes += Math.max(0, meshSent(b) - meshSent(a));
    trackerMsgs += Math.max(0, trk(b) - trk(a));
  }
  const egress = httpBytes + seederUploaded + meshBytes + modelledSeederBytes;
  const bitrate = last.status?.ingest?.bitrate_bps || first.status?.ingest?.bitrate_bps || null;
  const playable = viewers.flatMap((v) => v.playable || []);
  const startups = viewers.map((v) => v.startupS).filter((x) => x !== null && x !== undefined);
  const watched = viewers.reduce((a, v) => a + (v.watchedS || 0), 0);
  const stalled = viewers.reduce((a, v) => a + (v.stallS || 0), 0);
  const withProc = samples.filter((s) => s.proc);
  const cpu = cpuSeconds(withProc);
  const rss = withProc.map((s) => s.proc.rss);
  const rssNoWindow = withProc.filter((s) => s.status).map((s) => s.proc.rss - (s.status.window?.bytes || 0));
  return {
    viewers: viewers.length,
    bytes,
    p2pShare: total ? bytes.peer / total : null,
    webrtcShare: total ? (bytes.peer + bytes.seeder) / total : null,
    egressBytes: egress,
    egressSplit: { http: httpBytes, seederSegments: seederUploaded, mesh: meshBytes },
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
  // Browsers: the page probe's playhead since the fault began, and the mesh's links rebuilt.
  const withFreeze = after.filter((v) => v.sinceFault);
  // A viewer that never froze for 1 s counts as playing again at once (0 s).
  const again = (v) => (v.sinceFault.stillFrozen ? null : v.sinceFault.resumedAtWall ? (v.sinceFault.resumedAtWall - fault.startAt) / 1000 : 0);
  const resumedAfter = withFreeze.map(again).filter((x) => x !== null);
  const perViewer = withFreeze.map((v) => {
    const b = byId.get(v.id);
    return { id: v.id, stallS: (v.stallS || 0) - (b?.stallS || 0), freezeS: v.sinceFault.longestFreezeS, playingAgainS: again(v), stillFrozen: v.sinceFault.stillFrozen,
      // The page makes a new mesh session when signaling comes back after a loss: its counters restart.
      meshRestarted: v.engine?.linksOpened != null && b?.engine?.linksOpened != null && v.engine.linksOpened < b.engine.linksOpened,
      linksOpenedAfter: v.engine?.linksOpened != null && b?.engine?.linksOpened != null ? (v.engine.linksOpened >= b.engine.linksOpened ? v.engine.linksOpened - b.engine.linksOpened : v.engine.linksOpened) : null, linksBefore: b?.engine?.linksOpen ?? null, linksNow: v.engine?.linksOpen ?? null,
      pcsAfter: (v.engine?.pcCreated || 0) - (b?.engine?.pcCreated || 0), signalReconnects: (v.signalOpens || 0) - (b?.signalOpens || 0) };
  });
  return {
    ...fault,
    perViewer,
    playingAgainP50S: pct(resumedAfter, 0.5),
    playingAgainMaxS: resumedAfter.length ? Math.max(...resumedAfter) : null,
    viewers: after.length,
    stalledViewers,
    stallS: newStallS,
    resumed: recover.length,
    recoverP50S: pct(recover, 0.5),
    recoverMaxS: recover.length ? Math.max(...recover) : null,
    longestFreezeMaxS: after.some((v) => v.longestFreezeS != null) ? Math.max(...after.map((v) => v.longestFreezeS || 0)) : null,
  };
}

/** Box egress between `ta` and `tb` (ms) from the samples: the box's counters (HTTP segment
 * bytes, per-segment seeder uploads, live-mesh frames) and the veth's bytes sent. */
export function egressBetween(samples, ta, tb) {
  const e = { http: 0, seederSegments: 0, mesh: 0, veth: null, vethPackets: null };
  const inside = samples.filter((s) => s.t >= ta - 500 && s.t <= tb + 500);
  for (let i = 1; i < inside.length; i++) {
    const [a, b] = [inside[i - 1], inside[i]];
    e.seederSegments += Math.max(0, (b.seederUploaded || 0) - (a.seederUploaded || 0));
    if (a.veth && b.veth) {
      e.veth = (e.veth || 0) + Math.max(0, b.veth.tx - a.veth.tx);
      e.vethPackets = (e.vethPackets || 0) + Math.max(0, (b.veth.txPackets || 0) - (a.veth.txPackets || 0));
    }
    if (!a.status || !b.status) continue;
    e.http += Math.max(0, (b.status.http?.segment_bytes || 0) - (a.status.http?.segment_bytes || 0));
    e.mesh += Math.max(0, meshSent(b) - meshSent(a));
  }
  e.counters = e.http + e.seederSegments + e.mesh;
  return e;
}

/**
 * The engine audience's figures between two snapshots of the viewers' figures (`a` at `ta`,
 * `b` at `tb`, both lists from engines.mjs): P2P share, box egress / bitrate by the box's
 * counters and by the veth, segment -> playable per engine, stalls, peer connections created
 * per viewer-minute, links open.
 */
export function engineSpan({ a, b, ta, tb, samples, bitrateBps }) {
  const before = new Map(a.map((v) => [v.id, v]));
  const bytes = { peer: 0, seeder: 0, http: 0, r2: 0 };
  const wire = { segments: 0, playlists: 0, other: 0, tracker: 0 }; // browsers: the page's HTTP responses and tracker frames
  const latency = [];
  let pcs = 0;
  let sigBytes = 0;
  let httpRequests = 0;
  let viewerMin = 0;
  let stalls = 0;
  let stallS = 0;
  let stalledViewers = 0;
  const perEngine = [];
  const all = [];
  const links = [];
  for (const v of b) {
    const p = before.get(v.id);
    for (const k of Object.keys(bytes)) bytes[k] += (v.bytes[k] || 0) - (p?.bytes[k] || 0);
    pcs += (v.engine?.pcCreated || 0) - (p?.engine?.pcCreated || 0);
    sigBytes += (v.sigBytes || 0) - (p?.sigBytes || 0);
    httpRequests += (v.httpRequests || 0) - (p?.httpRequests || 0);
    for (const k of ['segments', 'playlists', 'other']) wire[k] += (v.httpWire?.[k] || 0) - (p?.httpWire?.[k] || 0);
    wire.tracker += (v.trackerBytes || 0) - (p?.trackerBytes || 0);
    latency.push(...(v.latencyAt || []).filter(([at]) => at >= ta && at < tb).map(([, x]) => x));
    const from = Math.max(ta, v.joinedAt);
    const to = v.left ? Math.min(tb, v.leftAt || tb) : tb;
    viewerMin += Math.max(0, to - from) / 60000;
    const ds = (v.stalls || 0) - (p?.stalls || 0);
    stalls += ds;
    stallS += (v.stallS || 0) - (p?.stallS || 0);
    if (ds > 0) stalledViewers++;
    const ms = (v.playableAt || []).filter(([at]) => at >= ta && at < tb).map(([, x]) => x);
    all.push(...ms);
    if (ms.length) perEngine.push({ id: v.id, p50: pct(ms, 0.5), p95: pct(ms, 0.95), n: ms.length });
    if (!v.left && v.engine) links.push(v.engine.linksOpen);
  }
  const total = bytes.peer + bytes.seeder + bytes.http + bytes.r2;
  const secs = (tb - ta) / 1000;
  const e = { ...egressBetween(samples, ta, tb), signaling: sigBytes, httpRequests, wire };
  const rate = (x) => (x === null || !bitrateBps ? null : (x * 8) / secs / bitrateBps);
  const p95s = perEngine.map((x) => x.p95);
  return {
    secs,
    bytes,
    p2pShare: total ? bytes.peer / total : null,
    boxShare: total ? bytes.seeder / total : null,
    httpShare: total ? bytes.http / total : null,
    r2Share: total ? bytes.r2 / total : null,
    latencyP50S: pct(latency, 0.5),
    latencyMaxS: latency.length ? Math.max(...latency) : null,
    egress: e,
    egressOverBitrate: rate(e.counters),
    vethOverBitrate: rate(e.veth),
    playableP50Ms: pct(all, 0.5),
    playableP95Ms: pct(all, 0.95),
    perEngineP95Ms: { p50: pct(p95s, 0.5), max: p95s.length ? Math.max(...p95s) : null, engines: perEngine.length },
    stalls,
    stallS,
    stalledViewers,
    pcPerViewerMin: viewerMin ? pcs / viewerMin : null,
    pcsCreated: pcs,
    links: { mean: links.length ? links.reduce((x, y) => x + y, 0) / links.length : null, min: links.length ? Math.min(...links) : null, max: links.length ? Math.max(...links) : null },
  };
}

export const ENGINE_HEADER = '| span | P2P share (viewers / box seeder / HTTP) | box egress / bitrate: counters / veth | playable p50 / p95 (all) | per-engine p95: median / worst | stalls (viewers) | PCs per viewer-minute | links open mean (min-max) |\n| --- | --- | --- | --- | --- | --- | --- | --- |';

export function engineRow(label, s) {
  return `| ${label} | ${f1(s.p2pShare * 100)} % / ${f1(s.boxShare * 100)} % / ${f1(s.httpShare * 100)} % | ${f1(s.egressOverBitrate, 2)}x / ${f1(s.vethOverBitrate, 2)}x | ${f1(s.playableP50Ms / 1000, 2)} s / ${f1(s.playableP95Ms / 1000, 2)} s | ${f1(s.perEngineP95Ms.p50 / 1000, 2)} s / ${f1(s.perEngineP95Ms.max / 1000, 2)} s | ${s.stalls} (${s.stalledViewers}) | ${f1(s.pcPerViewerMin, 2)} | ${f1(s.links.mean)} (${s.links.min ?? '-'}-${s.links.max ?? '-'}) |`;
}

export const BROWSER_HEADER = '| span | P2P share (viewers / box seeder / box HTTP / R2) | box egress / bitrate: counters / veth | latency behind live p50 / max | playable p50 / p95 | stalls (viewers), s | PCs created (per viewer-minute) | viewer links open mean (min-max) |\n| --- | --- | --- | --- | --- | --- | --- | --- |';

export function browserRow(label, s) {
  return `| ${label} | ${f1(s.p2pShare * 100)} % / ${f1(s.boxShare * 100)} % / ${f1(s.httpShare * 100)} % / ${f1(s.r2Share * 100)} % | ${f1(s.egressOverBitrate, 2)}x / ${f1(s.vethOverBitrate, 2)}x | ${f1(s.latencyP50S, 1)} s / ${f1(s.latencyMaxS, 1)} s | ${f1(s.playableP50Ms / 1000, 2)} s / ${f1(s.playableP95Ms / 1000, 2)} s | ${s.stalls} (${s.stalledViewers}), ${f1(s.stallS)} s | ${s.pcsCreated} (${f1(s.pcPerViewerMin, 2)}) | ${f1(s.links.mean)} (${s.links.min ?? '-'}-${s.links.max ?? '-'}) |`;
}

/** One row per browser viewer over the measured span (`a` at its start, `b` at its end) and the
 * median across viewers: latency behind live (median of the 5 s samples, last), start time,
 * stalls after start, RTCPeerConnections created per viewer-minute, links open, bytes by source. */
export function browserViewers(a, b, ta, tb) {
  const before = new Map(a.map((v) => [v.id, v]));
  const rows = b.map((v) => {
    const p = before.get(v.id);
    const from = Math.max(ta, v.joinedAt || ta);
    const to = v.left ? Math.min(tb, v.leftAt || tb) : tb;
    const min = Math.max(0, to - from) / 60000;
    const d = (g) => (g(v) || 0) - (p ? g(p) || 0 : 0);
    const lat = (v.latencyAt || []).filter(([at]) => at >= ta).map(([, x]) => x);
    return {
      id: v.id, mode: v.mode, latencyP50S: pct(lat, 0.5), latencyLastS: v.latencyS, startupS: v.startupS, stalls: d((x) => x.stalls), stallS: d((x) => x.stallS),
      pcPerMin: min ? d((x) => x.engine?.pcCreated) / min : null, pcsTotal: v.engine?.pcCreated ?? null, pcOpen: v.engine?.pcOpen ?? null,
      links: v.engine?.linksOpen ?? null, boxLinks: v.engine?.boxLinks ?? null,
      mb: { peer: d((x) => x.bytes?.peer) / 1e6, seeder: d((x) => x.bytes?.seeder) / 1e6, http: d((x) => x.bytes?.http) / 1e6, r2: d((x) => x.bytes?.r2) / 1e6 },
    };
  });
  const med = (g) => pct(rows.map(g).filter((x) => x !== null && x !== undefined), 0.5);
  const median = { id: 'median', mode: '', latencyP50S: med((r) => r.latencyP50S), latencyLastS: med((r) => r.latencyLastS), startupS: med((r) => r.startupS), stalls: med((r) => r.stalls), stallS: med((r) => r.stallS),
    pcPerMin: med((r) => r.pcPerMin), pcsTotal: med((r) => r.pcsTotal), pcOpen: med((r) => r.pcOpen), links: med((r) => r.links), boxLinks: med((r) => r.boxLinks),
    mb: { peer: med((r) => r.mb.peer), seeder: med((r) => r.mb.seeder), http: med((r) => r.mb.http), r2: med((r) => r.mb.r2) } };
  return { rows, median };
}

export const BROWSER_VIEWER_HEADER = '| viewer | mode | latency behind live p50 / last | start | stalls after start, s | PCs created per viewer-minute (total, open now) | viewer links open / box links | MB from viewers / box seeder / box HTTP / R2 |\n| --- | --- | --- | --- | --- | --- | --- | --- |';

export function browserViewerRow(r) {
  return `| ${r.id} | ${r.mode ?? '-'} | ${f1(r.latencyP50S, 1)} s / ${f1(r.latencyLastS, 1)} s | ${f1(r.startupS, 2)} s | ${r.stalls ?? '-'}, ${f1(r.stallS)} s | ${f1(r.pcPerMin, 2)} (${r.pcsTotal ?? '-'}, ${r.pcOpen ?? '-'}) | ${r.links ?? '-'} / ${r.boxLinks ?? '-'} | ${f1(r.mb.peer)} / ${f1(r.mb.seeder)} / ${f1(r.mb.http)} / ${f1(r.mb.r2)} |`;
}
