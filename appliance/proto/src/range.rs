//! The HTTP `Range` request header (RFC 9110 section 14): a single byte range resolved against
//! a known length. Multiple ranges are answered with the whole body, as the RFC allows.

/// Longest `Range` header value considered.
pub const MAX_RANGE_HEADER: usize = 256;

/// What to send for a request with a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeDecision {
    /// Send the whole body with 200 (no usable single range, or a multi-range request).
    Full,
    /// Send bytes `start..=end` with 206.
    Partial {
        /// First byte, inclusive.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// Answer 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Resolves a `Range` header value against a body of `len` bytes.
///
/// Syntactically invalid headers are ignored (the RFC says a server may ignore them), which
/// means [`RangeDecision::Full`].
pub fn resolve(header: &str, len: u64) -> RangeDecision {
    if header.len() > MAX_RANGE_HEADER {
        return RangeDecision::Full;
    }
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeDecision::Full;
    };
    if spec.contains(',') {
        return RangeDecision::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeDecision::Full;
    };
    match (parse_num(first), parse_num(last)) {
        (Some(start), last) if first_is_set(first) => from_start(start, last, len),
        (None, Some(suffix)) if first.trim().is_empty() => from_suffix(suffix, len),
        _ => RangeDecision::Full,
    }
}

fn first_is_set(first: &str) -> bool {
    !first.trim().is_empty()
}

fn from_start(start: u64, last: Option<u64>, len: u64) -> RangeDecision {
    if start >= len {
        return RangeDecision::Unsatisfiable;
    }
    let end = last.map_or(len - 1, |l| l.min(len - 1));
    if end < start {
        return RangeDecision::Full; // "5-3" is invalid syntax: ignore the header.
    }
    RangeDecision::Partial { start, end }
}

fn from_suffix(suffix: u64, len: u64) -> RangeDecision {
    if suffix == 0 || len == 0 {
        return RangeDecision::Unsatisfiable;
    }
    RangeDecision::Partial {
        start: len.saturating_sub(suffix),
        end: len - 1,
    }
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::RangeDecision::{Full, Partial, Unsatisfiable};
    use super::*;

    #[test]
    fn resolves_the_rfc_examples() {
        assert_eq!(resolve("bytes=0-499", 10_000), Partial { start: 0, end: 499 });
        assert_eq!(resolve("bytes=500-999", 10_000), Partial { start: 500, end: 999 });
        assert_eq!(
            resolve("bytes=-500", 10_000),
            Partial {
                start: 9_500,
                end: 9_999
            }
        );
        assert_eq!(
            resolve("bytes=9500-", 10_000),
            Partial {
                start: 9_500,
                end: 9_999
            }
        );
        assert_eq!(resolve("bytes=0-0", 10_000), Partial { start: 0, end: 0 });
        assert_eq!(resolve("bytes=0-99999", 100), Partial { start: 0, end: 99 });
        assert_eq!(resolve("bytes=-99999", 100), Partial { start: 0, end: 99 });
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(resolve("bytes=100-", 100), Unsatisfiable);
        assert_eq!(resolve("bytes=-0", 100), Unsatisfiable);
        assert_eq!(resolve("bytes=0-1,5-6", 100), Full);
        assert_eq!(resolve("items=0-1", 100), Full);
        assert_eq!(resolve("bytes=5-3", 100), Full);
        assert_eq!(resolve("bytes=a-b", 100), Full);
        assert_eq!(resolve("bytes=-", 100), Full);
        assert_eq!(resolve("bytes=99999999999999999999-", 100), Full);
        assert_eq!(resolve(&"x".repeat(1000), 100), Full);
    }

    proptest::proptest! {
        #[test]
        fn partial_ranges_stay_inside_the_body(h in "bytes=[0-9]{0,4}-[0-9]{0,4}", len in 0u64..5000) {
            if let Partial { start, end } = resolve(&h, len) {
                proptest::prop_assert!(start <= end && end < len);
            }
        }
    }
}
