//! The `[uplink]` configuration section: where the R2 bucket is, how hard to try and how fast
//! to give up on old segments.

use super::{ConfigError, HARD_MAX_SEGMENTS};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// R2 (S3-compatible) uplink settings. Disabled by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UplinkConfig {
    /// Upload the stream to the bucket.
    pub enabled: bool,
    /// S3 API endpoint: `https://<account id>.r2.cloudflarestorage.com` for R2.
    pub endpoint: String,
    /// Bucket name.
    pub bucket: String,
    /// Signing region; R2 wants `auto`.
    pub region: String,
    /// Public URL of the bucket (r2.dev or custom domain) that remote viewers open.
    pub public_base_url: String,
    /// Key prefix inside the bucket (e.g. `venue-1/`); empty for the bucket root.
    pub prefix: String,
    /// File (mode 0600) with `access_key_id = "..."` and `secret_access_key = "..."`;
    /// `VENUEBOX_R2_ACCESS_KEY_ID` and `VENUEBOX_R2_SECRET_ACCESS_KEY` win when both are set.
    pub credentials_file: PathBuf,
    /// PEM file of CA certificates to trust instead of the built-in web roots; empty for none.
    pub ca_file: PathBuf,
    /// Upload the viewer app (`http.viewer_dir`) once per version, so the bucket alone serves it.
    pub upload_viewer: bool,
    /// Delete objects once their segment left the window; `false` leaves that to a bucket
    /// lifecycle rule.
    pub delete_old: bool,
    /// Seconds a segment stays in the bucket after the uploaded playlist stopped naming it.
    pub delete_grace_secs: f64,
    /// Simultaneous requests.
    pub concurrency: usize,
    /// Most segments waiting for upload; older ones are skipped beyond this.
    pub queue_segments: usize,
    /// A segment waiting longer than this is skipped (after an outage the upload jumps to the
    /// newest segments and marks the gap as a discontinuity).
    pub max_lag_secs: f64,
    /// First retry delay after a failed request, ms (doubles per failure, with jitter).
    pub backoff_initial_ms: u64,
    /// Longest retry delay, ms.
    pub backoff_max_ms: u64,
    /// Time limit of one request, ms.
    pub request_timeout_ms: u64,
}

impl Default for UplinkConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            endpoint: String::new(),
            bucket: String::new(),
            region: "auto".to_owned(),
            public_base_url: String::new(),
            prefix: String::new(),
            credentials_file: PathBuf::from("/data/r2-credentials.toml"),
            ca_file: PathBuf::new(),
            upload_viewer: true,
            delete_old: true,
            delete_grace_secs: 10.0,
            concurrency: 4,
            queue_segments: 8,
            max_lag_secs: 10.0,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
            request_timeout_ms: 15_000,
        }
    }
}

impl UplinkConfig {
    /// Rejects settings that cannot work (only checked when enabled, except the numbers).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(format!("uplink.{m}")));
        if !(1..=32).contains(&self.concurrency) {
            return invalid("concurrency must be between 1 and 32");
        }
        if !(1..=HARD_MAX_SEGMENTS).contains(&self.queue_segments) {
            return invalid("queue_segments must be between 1 and 256");
        }
        if !(self.max_lag_secs.is_finite() && self.max_lag_secs > 0.0) {
            return invalid("max_lag_secs must be positive");
        }
        if !(self.delete_grace_secs.is_finite() && self.delete_grace_secs >= 0.0) {
            return invalid("delete_grace_secs must not be negative");
        }
        if self.backoff_initial_ms == 0 || self.backoff_max_ms < self.backoff_initial_ms {
            return invalid("backoff_initial_ms must be positive and at most backoff_max_ms");
        }
        if self.request_timeout_ms == 0 {
            return invalid("request_timeout_ms must be positive");
        }
        if !valid_prefix(&self.prefix) {
            return invalid("prefix must be empty or path segments of [A-Za-z0-9._-] ending in '/'");
        }
        if self.enabled {
            self.validate_target()?;
        }
        Ok(())
    }

    fn validate_target(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(format!("uplink.{m}")));
        if http_url(&self.endpoint).is_none() {
            return invalid("endpoint must be an http(s) URL such as https://<account id>.r2.cloudflarestorage.com");
        }
        if !valid_bucket(&self.bucket) {
            return invalid("bucket must be 3-63 characters of a-z, 0-9, '-' and '.'");
        }
        if http_url(&self.public_base_url).is_none() {
            return invalid("public_base_url must be the bucket's public http(s) URL");
        }
        if self.region.is_empty() {
            return invalid("region must not be empty (R2: auto)");
        }
        Ok(())
    }

    /// The endpoint as a URL (validated).
    pub fn endpoint_url(&self) -> Option<url::Url> {
        http_url(&self.endpoint)
    }

    /// The public URL of `rel` (relative to the prefix, e.g. `hls/live.m3u8`) in the bucket.
    pub fn public_url(&self, rel: &str) -> String {
        format!("{}/{}{rel}", self.public_base_url.trim_end_matches('/'), self.prefix)
    }

    /// With the uplink on, the public URL of the bucket's segment folder (no trailing `/`).
    pub fn segments_url(&self) -> Option<String> {
        self.enabled.then(|| self.public_url("hls"))
    }

    /// Request time limit.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

fn http_url(text: &str) -> Option<url::Url> {
    let url = url::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some() && url.query().is_none()).then_some(url)
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

fn valid_prefix(prefix: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    let Some(body) = prefix.strip_suffix('/') else {
        return false;
    };
    body.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> UplinkConfig {
        UplinkConfig {
            enabled: true,
            endpoint: "https://0123abcd.r2.cloudflarestorage.com".into(),
            bucket: "venue-stream".into(),
            public_base_url: "https://pub-1.r2.dev".into(),
            ..UplinkConfig::default()
        }
    }

    #[test]
    fn disabled_default_is_valid_and_enabled_needs_a_target() {
        UplinkConfig::default().validate().unwrap();
        enabled().validate().unwrap();
        let e = UplinkConfig {
            enabled: true,
            ..UplinkConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("uplink.endpoint"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let cases: Vec<(UplinkConfig, &str)> = vec![
            (
                UplinkConfig {
                    bucket: "Caps".into(),
                    ..enabled()
                },
                "bucket",
            ),
            (
                UplinkConfig {
                    endpoint: "ftp://x".into(),
                    ..enabled()
                },
                "endpoint",
            ),
            (
                UplinkConfig {
                    public_base_url: "".into(),
                    ..enabled()
                },
                "public_base_url",
            ),
            (
                UplinkConfig {
                    prefix: "../".into(),
                    ..enabled()
                },
                "prefix",
            ),
            (
                UplinkConfig {
                    prefix: "a".into(),
                    ..enabled()
                },
                "prefix",
            ),
            (
                UplinkConfig {
                    concurrency: 0,
                    ..enabled()
                },
                "concurrency",
            ),
            (
                UplinkConfig {
                    backoff_max_ms: 1,
                    ..enabled()
                },
                "backoff",
            ),
        ];
        for (c, field) in cases {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
        UplinkConfig {
            prefix: "venue-1/day_2/".into(),
            ..enabled()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn public_playlist_url_joins_cleanly() {
        let c = UplinkConfig {
            public_base_url: "https://cdn.example/".into(),
            prefix: "v/".into(),
            ..enabled()
        };
        assert_eq!(c.public_url("hls/live.m3u8"), "https://cdn.example/v/hls/live.m3u8");
        assert_eq!(c.segments_url().as_deref(), Some("https://cdn.example/v/hls"));
    }
}
