//! Retry timing: exponential backoff with jitter, pure (the caller passes the time and a seed).
//!
//! After the n-th consecutive failure the next attempt waits a uniformly random time between half
//! and all of `min(initial * 2^(n-1), max)`; a success resets it.

use std::time::{Duration, Instant};

/// Backoff state.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
    until: Option<Instant>,
    rng: u64,
}

impl Backoff {
    /// A backoff between `initial` and `max`, jittered from `seed`.
    pub fn new(initial: Duration, max: Duration, seed: u64) -> Self {
        Self {
            initial,
            max,
            failures: 0,
            until: None,
            rng: seed,
        }
    }

    /// Records a failure at `now`; returns the delay chosen.
    pub fn fail(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exp = self.failures.saturating_sub(1).min(20);
        let ceiling = self.initial.saturating_mul(1 << exp).min(self.max);
        let fraction = 0.5 + 0.5 * (self.next_random() >> 11) as f64 / (1u64 << 53) as f64;
        let delay = ceiling.mul_f64(fraction);
        let until = now + delay;
        // Parallel requests fail together: keep the latest end, do not extend it per failure.
        self.until = Some(self.until.map_or(until, |u| u.max(until)));
        delay
    }

    /// Records a success.
    pub fn succeed(&mut self) {
        self.failures = 0;
        self.until = None;
    }

    /// Whether requests must wait at `now`.
    pub fn waiting(&self, now: Instant) -> bool {
        self.until.is_some_and(|u| u > now)
    }

    /// When the wait ends.
    pub fn until(&self) -> Option<Instant> {
        self.until
    }

    /// Consecutive failures.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// splitmix64.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_cap() {
        let now = Instant::now();
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000), 7);
        let mut ceilings = vec![];
        for n in 0..8u32 {
            let d = b.fail(now);
            let ceiling = Duration::from_millis((100u64 << n).min(1000));
            assert!(d <= ceiling && d >= ceiling / 2, "failure {n}: {d:?} vs {ceiling:?}");
            ceilings.push(ceiling);
        }
        assert!(b.waiting(now) && b.failures() == 8);
        b.succeed();
        assert!(!b.waiting(now) && b.failures() == 0);
    }

    #[test]
    fn jitter_differs_between_seeds() {
        let now = Instant::now();
        let delays: Vec<Duration> = (0..10)
            .map(|seed| Backoff::new(Duration::from_secs(1), Duration::from_secs(10), seed).fail(now))
            .collect();
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 5, "{delays:?}");
    }
}
