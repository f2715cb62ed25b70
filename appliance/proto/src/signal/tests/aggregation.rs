//! Tests of the stats aggregator: totals, shares, means, bounds, rate limit, departures.

use super::super::*;

fn stats(p2p: u64, http: u64, r2: u64, peers: u32, latency: Option<f64>) -> ViewerStats {
    ViewerStats {
        bytes_p2p: p2p,
        bytes_http: http,
        bytes_r2: r2,
        peers,
        buffer_secs: 4.0,
        latency_secs: latency,
        stalls: 1,
        ..ViewerStats::default()
    }
}

fn limits() -> StatsLimits {
    StatsLimits {
        max_clients: 3,
        min_interval_ms: 1000,
        burst: 2,
        stale_ms: 30_000,
    }
}

#[test]
fn aggregates_latest_reports_and_totals() {
    let mut agg = StatsAggregator::new(limits());
    let a = agg.join(0).unwrap();
    let b = agg.join(0).unwrap();
    agg.report(a, stats(100, 10, 0, 2, Some(4.0)), 10).unwrap();
    agg.report(a, stats(800, 100, 100, 3, Some(6.0)), 20).unwrap(); // replaces a's first report
    agg.report(b, stats(0, 1000, 0, 0, None), 30).unwrap();
    let s = agg.summary(40);
    assert_eq!((s.viewers, s.reporting), (2, 2));
    assert_eq!((s.bytes_p2p, s.bytes_http, s.bytes_r2, s.stalls), (800, 1100, 100, 2));
    assert_eq!(s.p2p_share, Some(0.4));
    assert_eq!(s.peers_mean, Some(1.5));
    assert_eq!((s.latency_mean_secs, s.latency_max_secs), (Some(6.0), Some(6.0)));
    agg.leave(a);
    let s = agg.summary(50);
    assert_eq!(
        (s.viewers, s.bytes_p2p, s.bytes_http),
        (1, 800, 1100),
        "departed bytes stay counted"
    );
    assert_eq!(s.peers_mean, Some(0.0));
}

#[test]
fn empty_aggregator_has_no_share() {
    let agg = StatsAggregator::new(limits());
    let s = agg.summary(0);
    assert_eq!((s.viewers, s.p2p_share, s.latency_mean_secs), (0, None, None));
}

#[test]
fn clients_are_bounded() {
    let mut agg = StatsAggregator::new(limits());
    let ids: Vec<_> = (0..3).map(|_| agg.join(0).unwrap()).collect();
    assert_eq!(agg.join(0), None);
    agg.leave(ids[1]);
    assert!(agg.join(0).is_some());
    assert_eq!(agg.summary(0).viewers, 3);
}

#[test]
fn floods_are_rate_limited_and_refill_with_time() {
    let mut agg = StatsAggregator::new(limits());
    let a = agg.join(0).unwrap();
    agg.report(a, stats(1, 0, 0, 0, None), 0).unwrap();
    agg.report(a, stats(2, 0, 0, 0, None), 1).unwrap();
    for t in 2..100 {
        assert_eq!(agg.report(a, stats(3, 0, 0, 0, None), t), Err(ReportError::RateLimited));
    }
    agg.report(a, stats(4, 0, 0, 0, None), 1000).unwrap();
    assert_eq!(
        agg.report(a, stats(5, 0, 0, 0, None), 1001),
        Err(ReportError::RateLimited)
    );
    agg.report(a, stats(6, 0, 0, 0, None), 5000).unwrap();
    agg.report(a, stats(7, 0, 0, 0, None), 5000).unwrap();
    let s = agg.summary(5000);
    assert_eq!((s.bytes_p2p, s.rejected_reports), (7, 99));
}

#[test]
fn counters_never_go_back_and_unknown_clients_are_refused() {
    let mut agg = StatsAggregator::new(limits());
    let a = agg.join(0).unwrap();
    agg.report(a, stats(100, 0, 0, 0, None), 0).unwrap();
    assert_eq!(
        agg.report(a, stats(99, 0, 0, 0, None), 2000),
        Err(ReportError::CounterWentBack)
    );
    assert_eq!(
        agg.report(a + 100, stats(1, 0, 0, 0, None), 0),
        Err(ReportError::UnknownClient)
    );
    assert_eq!(agg.summary(0).bytes_p2p, 100);
}

#[test]
fn stale_reports_leave_the_means_but_not_the_totals() {
    let mut agg = StatsAggregator::new(limits());
    let a = agg.join(0).unwrap();
    agg.report(a, stats(10, 0, 0, 5, Some(3.0)), 0).unwrap();
    let s = agg.summary(31_000);
    assert_eq!((s.viewers, s.reporting, s.peers_mean, s.bytes_p2p), (1, 0, None, 10));
}

fn linked(viewers_tried: u64, viewers_opened: u64, viewers_open: u32, box_opened: u64) -> ViewerStats {
    ViewerStats {
        path: Some(DeliveryPath::P2p),
        links: Some(LinkCounts {
            viewers_tried,
            viewers_opened,
            viewers_open,
            box_tried: box_opened,
            box_opened,
        }),
        ..stats(0, 0, 0, 1, Some(3.0))
    }
}

#[test]
fn offload_counts_other_viewers_only() {
    let mut a = StatsAggregator::new(limits());
    let id = a.join(0).unwrap();
    let s = ViewerStats {
        bytes_seeder: 3000,
        ..stats(1000, 0, 0, 1, None)
    };
    a.report(id, s, 0).unwrap();
    let sum = a.summary(0);
    assert_eq!((sum.bytes_seeder, sum.p2p_share), (3000, Some(0.25)));
    a.leave(id);
    assert_eq!(a.summary(0).bytes_seeder, 3000, "kept after leaving");
}

#[test]
fn latency_percentiles_paths_and_stalled_viewers() {
    let mut a = StatsAggregator::new(StatsLimits {
        max_clients: 30,
        ..limits()
    });
    for i in 1..=20u32 {
        let id = a.join(0).unwrap();
        let mut s = stats(0, 1, 0, 0, Some(f64::from(i)));
        s.stalls = u32::from(i > 18);
        s.path = [Some(DeliveryPath::Native), Some(DeliveryPath::Http), None][(i % 3) as usize];
        a.report(id, s, 0).unwrap();
    }
    let s = a.summary(0);
    assert_eq!((s.latency_p50_secs, s.latency_p95_secs), (Some(10.0), Some(19.0)));
    assert_eq!(s.viewers_stalled, 2);
    assert_eq!(
        s.paths,
        Paths {
            p2p: 0,
            http: 7,
            native: 6,
            unknown: 7
        }
    );
}

#[test]
fn isolation_is_suspected_when_viewers_reach_the_box_but_not_each_other() {
    let mut a = StatsAggregator::new(limits());
    let ids: Vec<_> = (0..3).map(|_| a.join(0).unwrap()).collect();
    for id in &ids {
        a.report(*id, linked(3, 0, 0, 1), 0).unwrap();
    }
    let s = a.summary(0).isolation;
    assert_eq!((s.isolated, s.connected, s.suspected), (3, 0, true));
    // P2P works again: two viewers link up.
    a.report(ids[0], linked(4, 1, 1, 1), 2000).unwrap();
    a.report(ids[1], linked(4, 1, 1, 1), 2000).unwrap();
    assert!(!a.summary(2000).isolation.suspected);
}

#[test]
fn no_isolation_when_alone_linked_or_box_unreached() {
    let mut a = StatsAggregator::new(limits());
    let (x, y, z) = (a.join(0).unwrap(), a.join(0).unwrap(), a.join(0).unwrap());
    a.report(x, linked(0, 0, 0, 1), 0).unwrap(); // alone with the box
    a.report(y, linked(5, 0, 0, 0), 0).unwrap(); // reaches nobody: not isolation
    a.report(z, linked(6, 2, 2, 1), 0).unwrap(); // links to viewers
    let s = a.summary(0).isolation;
    assert_eq!((s.isolated, s.connected, s.suspected), (0, 1, false));
}
