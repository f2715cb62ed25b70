//! "Recent problems" on the staff page: only conditions venue staff can act on, each in plain
//! words with the action attached, derived from the box's figures ([`Facts`]) by pure rules.
//! Library internals never land here (they go to the log); a problem is listed while its
//! condition holds and disappears when it clears.

use serde::Serialize;

/// Egress at or above this share of the link's capacity is "near the link limit".
pub const LINK_NEAR: f64 = 0.8;
/// A stream above this bitrate is more than venue Wi-Fi carries to every phone.
pub const MAX_AUDIENCE_BPS: f64 = 6e6;
/// Less available memory than this share is memory pressure.
pub const MEMORY_LOW: f64 = 0.1;
/// Less free disk than this share is disk pressure.
pub const DISK_LOW: f64 = 0.05;

/// What the rules look at (each `None` when unknown).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Seconds since start.
    pub uptime_secs: f64,
    /// Whether segments arrive.
    pub live: bool,
    /// Seconds since the newest segment (none yet: `None`).
    pub segment_age_secs: Option<f64>,
    /// Keyframe interval of the newest probed segment, seconds.
    pub keyframe_interval_secs: Option<f64>,
    /// The keyframe interval does not fit the segment length.
    pub keyframe_warning: bool,
    /// The segment length the box expects, seconds.
    pub segment_secs: u32,
    /// Ingest bitrate, bits/s.
    pub bitrate_bps: f64,
    /// Reporting viewers and those that stalled.
    pub viewers_reporting: u64,
    /// Reporting viewers that stalled at least once.
    pub viewers_stalled: u64,
    /// The uplink is enabled.
    pub uplink_enabled: bool,
    /// The uplink's last error text, while it keeps failing.
    pub uplink_error: Option<String>,
    /// The uplink's lag, seconds, and the most it may lag.
    pub uplink_lag_secs: Option<f64>,
    /// `uplink.max_lag_secs`.
    pub uplink_max_lag_secs: f64,
    /// Viewers reach the box but not each other.
    pub isolation_suspected: bool,
    /// How many viewers are isolated.
    pub isolated_viewers: u64,
    /// Box egress, bits/s.
    pub egress_bps: Option<f64>,
    /// The link's capacity, bits/s.
    pub link_bps: Option<f64>,
    /// Available share of memory (0-1).
    pub memory_available: Option<f64>,
    /// Free share of the fullest disk the box writes to (0-1).
    pub disk_free: Option<f64>,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Stable id (`stream_offline`, `client_isolation`, ...).
    pub id: &'static str,
    /// `error` (viewers are affected now) or `warning`.
    pub severity: &'static str,
    /// What is wrong, in plain words.
    pub text: String,
    /// What to do.
    pub action: String,
}

fn problem(id: &'static str, severity: &'static str, text: String, action: impl Into<String>) -> Problem {
    Problem {
        id,
        severity,
        text,
        action: action.into(),
    }
}

/// The problems `f` shows, most urgent first.
pub fn problems(f: &Facts) -> Vec<Problem> {
    let rules: [fn(&Facts) -> Option<Problem>; 9] = [
        offline, keyframes, bitrate, uplink, isolation, link, stalls, memory, disk,
    ];
    rules.iter().filter_map(|rule| rule(f)).collect()
}

fn mins(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.0} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}

fn offline(f: &Facts) -> Option<Problem> {
    if f.live {
        return None;
    }
    let text = match f.segment_age_secs {
        Some(age) => format!("The stream is offline: no new video for {}.", mins(age)),
        None => format!(
            "No stream yet: nothing received in {} since the box started.",
            mins(f.uptime_secs)
        ),
    };
    Some(problem(
        "stream_offline",
        "error",
        text,
        "Start streaming in OBS (Settings > Stream: server rtmp://<box>:1935/live and the stream key) and check its network cable.",
    ))
}

fn keyframes(f: &Facts) -> Option<Problem> {
    f.keyframe_warning.then(|| {
        let got = f
            .keyframe_interval_secs
            .map_or("does not fit".to_owned(), |k| format!("is {k:.1} s"));
        problem(
            "keyframe_interval",
            "warning",
            format!(
                "The keyframe interval {got}; segments need one every {} s.",
                f.segment_secs
            ),
            format!(
                "In OBS set Settings > Output > Keyframe Interval to {} s.",
                f.segment_secs
            ),
        )
    })
}

fn bitrate(f: &Facts) -> Option<Problem> {
    (f.bitrate_bps > MAX_AUDIENCE_BPS).then(|| {
        problem(
            "bitrate_high",
            "warning",
            format!(
                "The stream is {:.1} Mbit/s, more than venue Wi-Fi carries to every phone ({:.0} Mbit/s).",
                f.bitrate_bps / 1e6,
                MAX_AUDIENCE_BPS / 1e6
            ),
            "In OBS set the video bitrate to 2500 Kbps.",
        )
    })
}

fn uplink(f: &Facts) -> Option<Problem> {
    if !f.uplink_enabled {
        return None;
    }
    if let Some(e) = &f.uplink_error {
        let lower = e.to_ascii_lowercase();
        let (text, action) = if lower.contains("nosuchbucket") || lower.contains("bucket") && lower.contains("missing")
        {
            (
                "The R2 bucket does not exist.",
                "Create the bucket or fix uplink.bucket, then run `venuebox uplink-check`.",
            )
        } else if [
            "accessdenied",
            "invalidaccesskeyid",
            "signaturedoesnotmatch",
            "credential",
            "403",
        ]
        .iter()
        .any(|k| lower.contains(k))
        {
            ("R2 refuses the box's credentials.", "Put a valid R2 API token (Object Read & Write) in /data/r2-credentials.toml, then run `venuebox uplink-check`.")
        } else {
            (
                "Uploads to R2 fail.",
                "Check the venue's internet connection; the box retries on its own.",
            )
        };
        return Some(problem("uplink_failing", "warning", text.to_owned(), action));
    }
    let lag = f.uplink_lag_secs?;
    (lag > f.uplink_max_lag_secs / 2.0).then(|| {
        problem(
            "uplink_lagging",
            "warning",
            format!("The R2 upload lags {lag:.0} s behind live; viewers outside the venue fall behind."),
            "Check the venue's upload bandwidth (it needs about twice the stream bitrate) or lower the OBS bitrate.",
        )
    })
}

fn isolation(f: &Facts) -> Option<Problem> {
    f.isolation_suspected.then(|| {
        problem(
            "client_isolation",
            "error",
            format!(
                "Viewers cannot reach each other ({} viewers reach only the box), so the box sends every copy.",
                f.isolated_viewers
            ),
            "Turn off client isolation / AP isolation on the venue Wi-Fi.",
        )
    })
}

fn link(f: &Facts) -> Option<Problem> {
    let (egress, link) = (f.egress_bps?, f.link_bps?);
    (link > 0.0 && egress >= LINK_NEAR * link).then(|| {
        problem(
            "egress_near_link",
            "error",
            format!(
                "The box sends {:.0} Mbit/s, {:.0} % of its {:.0} Mbit/s link.",
                egress / 1e6,
                egress / link * 100.0,
                link / 1e6
            ),
            "Turn off client isolation on the Wi-Fi if it is on, lower the OBS bitrate, or connect the box with a faster link.",
        )
    })
}

fn stalls(f: &Facts) -> Option<Problem> {
    (f.viewers_reporting >= 4 && f.viewers_stalled * 4 >= f.viewers_reporting).then(|| {
        problem(
            "viewers_stalling",
            "warning",
            format!(
                "{} of {} viewers have stalled: the audience cannot carry this bitrate.",
                f.viewers_stalled, f.viewers_reporting
            ),
            "Lower the OBS video bitrate (2500 Kbps or less) and check the Wi-Fi coverage.",
        )
    })
}

fn memory(f: &Facts) -> Option<Problem> {
    let free = f.memory_available?;
    (free < MEMORY_LOW).then(|| {
        problem(
            "memory_low",
            "warning",
            format!("The box is low on memory ({:.0} % free).", free * 100.0),
            "Lower window.max_bytes or restart the box between events.",
        )
    })
}

fn disk(f: &Facts) -> Option<Problem> {
    let free = f.disk_free?;
    (free < DISK_LOW).then(|| {
        problem(
            "disk_low",
            "warning",
            format!("The box's disk is almost full ({:.1} % free).", free * 100.0),
            "Free space on the box's data partition (old recordings, logs).",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Facts {
        Facts {
            uptime_secs: 600.0,
            live: true,
            segment_age_secs: Some(1.0),
            segment_secs: 2,
            bitrate_bps: 2.5e6,
            uplink_max_lag_secs: 10.0,
            link_bps: Some(1e9),
            egress_bps: Some(5e6),
            memory_available: Some(0.5),
            disk_free: Some(0.5),
            ..Facts::default()
        }
    }

    fn ids(f: &Facts) -> Vec<&'static str> {
        problems(f).iter().map(|p| p.id).collect()
    }

    #[test]
    fn a_healthy_box_has_no_problems() {
        assert!(problems(&healthy()).is_empty());
    }

    #[test]
    fn each_condition_says_what_to_do() {
        let f = Facts {
            live: false,
            segment_age_secs: Some(300.0),
            keyframe_warning: true,
            keyframe_interval_secs: Some(8.0),
            bitrate_bps: 9e6,
            uplink_enabled: true,
            uplink_error: Some("403 InvalidAccessKeyId".into()),
            isolation_suspected: true,
            isolated_viewers: 3,
            egress_bps: Some(900e6),
            viewers_reporting: 8,
            viewers_stalled: 2,
            memory_available: Some(0.05),
            disk_free: Some(0.01),
            ..healthy()
        };
        let all = problems(&f);
        assert_eq!(
            ids(&f),
            [
                "stream_offline",
                "keyframe_interval",
                "bitrate_high",
                "uplink_failing",
                "client_isolation",
                "egress_near_link",
                "viewers_stalling",
                "memory_low",
                "disk_low"
            ]
        );
        assert!(all[0].text.contains("5 min"), "{}", all[0].text);
        assert!(all[1].action.contains("Keyframe Interval to 2 s"));
        assert!(all[3].text.contains("credentials"));
        assert!(all[4].action.contains("client isolation / AP isolation"));
        assert!(all.iter().all(|p| !p.action.is_empty()));
    }

    #[test]
    fn uplink_bucket_and_lag() {
        let mut f = Facts {
            uplink_enabled: true,
            uplink_error: Some("NoSuchBucket".into()),
            ..healthy()
        };
        assert!(problems(&f)[0].text.contains("bucket"));
        f.uplink_error = None;
        f.uplink_lag_secs = Some(8.0);
        assert_eq!(ids(&f), ["uplink_lagging"]);
        f.uplink_lag_secs = Some(2.0);
        assert!(ids(&f).is_empty());
    }
}
