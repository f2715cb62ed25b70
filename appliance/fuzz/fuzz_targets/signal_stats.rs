//! Fuzzes the stats aggregator with arbitrary joins, leaves and reports: never panics, stays
//! within its client bound, and its byte totals never decrease.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::signal::{StatsAggregator, StatsLimits, ViewerStats};

fuzz_target!(|data: &[u8]| {
    let limits = StatsLimits { max_clients: 8, min_interval_ms: 100, burst: 3, stale_ms: 1000 };
    let mut agg = StatsAggregator::new(limits);
    let (mut now, mut ids, mut last_total) = (0u64, Vec::new(), 0u64);
    for op in data.chunks(6) {
        now += u64::from(op[0]);
        match op[0] % 4 {
            0 => ids.extend(agg.join(now)),
            1 if op.len() >= 2 && !ids.is_empty() => agg.leave(ids.remove(usize::from(op[1]) % ids.len())),
            _ if op.len() == 6 && !ids.is_empty() => {
                let stats = ViewerStats {
                    bytes_p2p: u64::from(u16::from_le_bytes([op[2], op[3]])) << 20,
                    bytes_http: u64::from(op[4]) << 30,
                    bytes_r2: u64::from(op[5]),
                    peers: u32::from(op[1]),
                    buffer_secs: f64::from(op[2]) / 8.0,
                    latency_secs: (op[3] % 2 == 0).then(|| f64::from(op[3])),
                    stalls: u32::from(op[4]),
                    ..ViewerStats::default()
                };
                if stats.validate().is_ok() {
                    let _ = agg.report(ids[usize::from(op[1]) % ids.len()], stats, now);
                }
            }
            _ => {}
        }
        let s = agg.summary(now);
        assert!(s.viewers <= 8);
        let total = s.bytes_p2p + s.bytes_http + s.bytes_r2;
        assert!(total >= last_total, "totals never decrease");
        last_total = total;
        if let Some(share) = s.p2p_share {
            assert!((0.0..=1.0).contains(&share));
        }
    }
});
