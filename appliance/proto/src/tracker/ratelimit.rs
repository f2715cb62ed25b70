//! Per-connection token bucket: time is an input; refused messages in a row count as strikes.
//!
//! A peer that is merely busy (answering a burst of relayed offers) gets some messages refused
//! and goes on; only a flood, more than `max_strikes` refusals without a single allowed message
//! between them, closes the connection. Strikes used to accumulate for the connection's life,
//! which closed busy seeders of popular segments (docs/decisions/1001).
use std::time::Instant;

/// What to do with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Process it.
    Allow,
    /// Drop it; `first` is true for the first refusal since the last allowed message (reply
    /// once with a failure, then stay silent).
    Refuse {
        /// First refusal in a row.
        first: bool,
    },
    /// Too many refusals in a row: close the connection.
    Close,
}

/// A token bucket in thousandths of a token.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    milli: u64,
    last: Instant,
    strikes: u32,
    in_a_row: bool,
}

impl RateLimiter {
    /// A full bucket.
    pub fn new(now: Instant, burst: u32) -> Self {
        Self {
            milli: u64::from(burst) * 1000,
            last: now,
            strikes: 0,
            in_a_row: false,
        }
    }

    /// Takes one token if there is one.
    pub fn check(&mut self, now: Instant, per_sec: u32, burst: u32, max_strikes: u32) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_millis();
        let elapsed = u64::try_from(elapsed).unwrap_or(u64::MAX);
        self.last = self.last.max(now);
        let cap = u64::from(burst) * 1000;
        self.milli = self
            .milli
            .saturating_add(elapsed.saturating_mul(u64::from(per_sec)))
            .min(cap);
        if self.milli >= 1000 {
            self.milli -= 1000;
            self.in_a_row = false;
            self.strikes = 0;
            return Verdict::Allow;
        }
        self.strikes = self.strikes.saturating_add(1);
        if self.strikes > max_strikes {
            return Verdict::Close;
        }
        let first = !self.in_a_row;
        self.in_a_row = true;
        Verdict::Refuse { first }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refuse_then_refill_then_close() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(t0, 3);
        for _ in 0..3 {
            assert_eq!(r.check(t0, 2, 3, 2), Verdict::Allow);
        }
        assert_eq!(r.check(t0, 2, 3, 2), Verdict::Refuse { first: true });
        assert_eq!(r.check(t0, 2, 3, 2), Verdict::Refuse { first: false });
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(r.check(t1, 2, 3, 2), Verdict::Allow, "refilled");
        assert_eq!(r.check(t1, 2, 3, 2), Verdict::Refuse { first: true });
        assert_eq!(r.check(t1, 2, 3, 2), Verdict::Refuse { first: false });
        assert_eq!(r.check(t1, 2, 3, 2), Verdict::Close, "three refusals in a row");
    }

    #[test]
    fn a_busy_peer_over_its_rate_for_a_long_time_is_limited_not_closed() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(t0, 4);
        let (mut allowed, mut refused) = (0, 0);
        // 10 messages a second for 60 s against a limit of 2 a second and 5 strikes.
        for i in 0..600u64 {
            match r.check(t0 + Duration::from_millis(100 * i), 2, 4, 5) {
                Verdict::Allow => allowed += 1,
                Verdict::Refuse { .. } => refused += 1,
                Verdict::Close => panic!("closed after {i} messages"),
            }
        }
        assert!((120..=125).contains(&allowed), "{allowed} allowed");
        assert_eq!(allowed + refused, 600);
    }

    #[test]
    fn time_going_backwards_does_not_refill() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut r = RateLimiter::new(t0, 1);
        assert_eq!(r.check(t0, 1, 1, 5), Verdict::Allow);
        let earlier = t0 - Duration::from_secs(5);
        assert_eq!(r.check(earlier, 1, 1, 5), Verdict::Refuse { first: true });
    }
}
