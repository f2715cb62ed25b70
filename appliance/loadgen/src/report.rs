//! Samples counters and the server's /proc figures; prints one result line.
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use crate::client::Stats;
use crate::Args;

/// Counters at one instant.
pub struct Sample {
    at: Instant,
    replies: u64,
    offers: u64,
    answers: u64,
    cpu_ticks: Option<u64>,
    rss_kb: Option<u64>,
}

impl Sample {
    /// Reads the counters now.
    pub fn take(s: &Stats, pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            replies: s.replies.load(Relaxed),
            offers: s.offers.load(Relaxed),
            answers: s.answers.load(Relaxed),
            cpu_ticks: pid.and_then(cpu_ticks),
            rss_kb: pid.and_then(rss_kb),
        }
    }
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Prints `name clients announces/s offers/s answers/s p50 p99 cpu% per-core rss errors`.
pub fn print(a: &Args, s: &Stats, before: &Sample, after: &Sample) {
    let secs = after.at.duration_since(before.at).as_secs_f64();
    let rate = |x: u64, y: u64| (x - y) as f64 / secs;
    let announces = rate(after.replies, before.replies);
    let mut lat = s.latencies.lock().expect("not poisoned").clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
    };
    let ms = |v: Option<u32>| v.map_or("-".into(), |us| format!("{:.2}", f64::from(us) / 1000.0));
    let cpu = match (before.cpu_ticks, after.cpu_ticks) {
        (Some(b), Some(e)) => Some((e - b) as f64 / 100.0 / secs),
        _ => None,
    };
    let per_core = cpu.filter(|c| *c > 0.0).map(|c| announces / c);
    println!(
        "{} clients={} swarms={} offers={} secs={:.1} announces/s={:.0} offers/s={:.0} answers/s={:.0} \
         p50_ms={} p99_ms={} server_cpu={} announces_per_core_s={} rss_mb={} connected={} errors={}",
        a.name,
        a.clients,
        a.swarms,
        a.offers,
        secs,
        announces,
        rate(after.offers, before.offers),
        rate(after.answers, before.answers),
        ms(pct(0.50)),
        ms(pct(0.99)),
        cpu.map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
        per_core.map_or("-".into(), |v| format!("{v:.0}")),
        after.rss_kb.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        s.ready(),
        s.errors.load(Relaxed),
    );
}
