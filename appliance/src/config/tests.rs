//! Configuration loading: defaults, files, unknown fields, environment overrides.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn defaults_round_trip_through_print_config() {
    let printed = Config::default().to_toml();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, &printed).unwrap();
    assert_eq!(Config::load(Some(&path), []).unwrap(), Config::default());
}

#[test]
fn unknown_fields_are_rejected_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[http]\nlisten = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
    let err = Config::load(Some(&path), []).unwrap_err().to_string();
    assert!(err.contains("listen_port"), "{err}");
    std::fs::write(&path, "[nope]\n").unwrap();
    assert!(Config::load(Some(&path), []).unwrap_err().to_string().contains("nope"));
}

#[test]
fn environment_overrides_typed_fields() {
    let c = Config::load(
        None,
        env(&[
            ("VENUEBOX_HTTP_LISTEN", "127.0.0.1:9999"),
            ("VENUEBOX_WINDOW_MAX_SEGMENTS", "10"),
            ("VENUEBOX_WINDOW_MAX_DURATION_SECS", "20"),
            ("VENUEBOX_INGEST_MODE", "demo"),
            ("VENUEBOX_R2_SECRET_ACCESS_KEY", "not a config field"),
            ("PATH", "/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(c.http.listen.port(), 9999);
    assert_eq!(c.window.max_segments, 10);
    assert_eq!(c.window.max_duration_secs, 20.0);
    assert_eq!(c.ingest.mode, IngestMode::Demo);
}

#[test]
fn bad_environment_is_a_clear_error() {
    let e = Config::load(None, env(&[("VENUEBOX_WINDOW_MAX_SEGMENTS", "many")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("VENUEBOX_WINDOW_MAX_SEGMENTS") && e.contains("not an integer"),
        "{e}"
    );
    let e = Config::load(None, env(&[("VENUEBOX_HTTP_LISTN", "x")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("names no configuration field"), "{e}");
}

#[test]
fn nonsense_combinations_are_rejected() {
    let e = Config::load(None, env(&[("VENUEBOX_WINDOW_MAX_SEGMENTS", "1000")])).unwrap_err();
    assert!(matches!(e, ConfigError::Invalid(_)));
    let e = Config::load(None, env(&[("VENUEBOX_INGEST_PLAYLIST", "../x.m3u8")])).unwrap_err();
    assert!(matches!(e, ConfigError::Invalid(_)));
}

#[test]
fn rtmp_mode_needs_a_plain_stream_key() {
    let e = Config::load(None, env(&[("VENUEBOX_INGEST_MODE", "rtmp")])).unwrap_err();
    assert!(e.to_string().contains("ingest.stream_key"), "{e}");
    let e = Config::load(
        None,
        env(&[
            ("VENUEBOX_INGEST_MODE", "rtmp"),
            ("VENUEBOX_INGEST_STREAM_KEY", "two words"),
        ]),
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Invalid(_)));
    let c = Config::load(
        None,
        env(&[
            ("VENUEBOX_INGEST_MODE", "rtmp"),
            ("VENUEBOX_INGEST_STREAM_KEY", "s3cret-Key"),
        ]),
    )
    .unwrap();
    assert_eq!(c.ingest.mode, IngestMode::Rtmp);
    assert_eq!(c.ingest.stream_key.expose(), "s3cret-Key");
    assert_eq!(c.ingest.rtmp_listen.port(), 1935);
    assert_eq!(c.ingest.segment_secs, 2);
}

#[test]
fn the_stream_key_never_shows_in_debug_or_print_config() {
    let mut c = Config::default();
    c.ingest.mode = IngestMode::Rtmp;
    c.ingest.stream_key = StreamKey::new("s3cret-Key");
    assert!(!format!("{c:?}").contains("s3cret"));
    let printed = c.to_toml_redacted();
    assert!(!printed.contains("s3cret") && printed.contains(REDACTED), "{printed}");
    assert!(c.to_toml().contains("s3cret-Key"), "the file form keeps it");
}

#[test]
fn the_admin_password_never_shows_in_print_config() {
    let mut c = Config::default();
    c.admin.password = "staff-s3cret".to_owned();
    let printed = c.to_toml_redacted();
    assert!(
        !printed.contains("staff-s3cret") && printed.contains(REDACTED),
        "{printed}"
    );
}

#[test]
fn uplink_section_is_off_by_default_and_set_from_the_environment() {
    assert!(!Config::default().uplink.enabled);
    let c = Config::load(
        None,
        env(&[
            ("VENUEBOX_UPLINK_ENABLED", "true"),
            ("VENUEBOX_UPLINK_ENDPOINT", "https://0123abcd.r2.cloudflarestorage.com"),
            ("VENUEBOX_UPLINK_BUCKET", "venue-1"),
            ("VENUEBOX_UPLINK_PUBLIC_BASE_URL", "https://pub-1.r2.dev"),
            ("VENUEBOX_UPLINK_MAX_LAG_SECS", "6"),
            ("VENUEBOX_R2_ACCESS_KEY_ID", "not a config field"),
        ]),
    )
    .unwrap();
    assert!(c.uplink.enabled && c.uplink.bucket == "venue-1" && c.uplink.max_lag_secs == 6.0);
    let e = Config::load(None, env(&[("VENUEBOX_UPLINK_ENABLED", "true")])).unwrap_err();
    assert!(e.to_string().contains("uplink.endpoint"), "{e}");
}
