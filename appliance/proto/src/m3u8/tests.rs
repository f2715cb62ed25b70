//! Tests of the playlist parser with what ffmpeg and Owncast really write.

use super::*;
use proptest::prelude::*;

const FFMPEG_TS: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n\
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T13:00:00.000+0000\n#EXTINF:2.000000,\nseg00041.ts\n\
#EXTINF:2.000000,\nseg00042.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1.960000,\nseg00043.ts\n";

const FFMPEG_FMP4: &str = "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-TARGETDURATION:2\r\n#EXT-X-MEDIA-SEQUENCE:0\r\n\
#EXT-X-INDEPENDENT-SEGMENTS\r\n#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:2.000000,\r\nseg0.m4s\r\n#EXTINF:2.000000,\r\nseg1.m4s\r\n#EXT-X-ENDLIST\r\n";

#[test]
fn parses_ffmpeg_ts_playlist() {
    let p = MediaPlaylist::parse(FFMPEG_TS.as_bytes()).unwrap();
    assert_eq!(p.version, 3);
    assert_eq!(p.target_duration, 2);
    assert_eq!(p.media_sequence, 41);
    assert_eq!(p.segments.len(), 3);
    assert_eq!(p.segments[0].uri, "seg00041.ts");
    assert_eq!(
        p.segments[0].program_date_time.as_deref(),
        Some("2026-11-25T13:00:00.000+0000")
    );
    assert_eq!(p.segments[1].program_date_time, None);
    assert!(!p.segments[1].discontinuity);
    assert!(p.segments[2].discontinuity);
    assert!((p.segments[2].duration - 1.96).abs() < 1e-9);
    assert_eq!(p.sequence_of(2), 43);
    assert!(!p.end_list);
}

#[test]
fn parses_fmp4_with_map_crlf_and_endlist() {
    let p = MediaPlaylist::parse(FFMPEG_FMP4.as_bytes()).unwrap();
    assert!(p.independent_segments);
    assert!(p.end_list);
    assert_eq!(p.segments[1].map, Some(MediaMap { uri: "init.mp4".into() }));
}

#[test]
fn owncast_style_with_unknown_tags_and_title() {
    let text = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-ALLOW-CACHE:NO\n\
#EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXTINF:4.000000,title here\nstream-1700000000-7.ts\n";
    let p = MediaPlaylist::parse(text.as_bytes()).unwrap();
    assert_eq!(p.discontinuity_sequence, 2);
    assert_eq!(p.segments[0].uri, "stream-1700000000-7.ts");
}

#[test]
fn rejects_garbage_with_clear_errors() {
    let cases: &[(&[u8], PlaylistError)] = &[
        (b"", PlaylistError::MissingHeader),
        (b"hello", PlaylistError::MissingHeader),
        (b"\xff\xfe", PlaylistError::NotUtf8),
        (b"#EXTM3U\n#EXTINF:2,\nx.ts\n", PlaylistError::MissingTargetDuration),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\nx.ts\n",
            PlaylistError::UriWithoutExtinf(3),
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n",
            PlaylistError::DanglingExtinf,
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:x\n",
            PlaylistError::BadTag {
                line: 2,
                tag: "EXT-X-TARGETDURATION",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:-1,\nx.ts\n",
            PlaylistError::BadTag { line: 3, tag: "EXTINF" },
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1e309,\nx.ts\n",
            PlaylistError::BadTag { line: 3, tag: "EXTINF" },
        ),
        (
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
            PlaylistError::MasterPlaylist,
        ),
        (
            b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:99999999999999999999999\n",
            PlaylistError::BadTag {
                line: 2,
                tag: "EXT-X-MEDIA-SEQUENCE",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-MAP:URI=init.mp4\n",
            PlaylistError::BadTag {
                line: 2,
                tag: "EXT-X-MAP",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nx.ts\n",
            PlaylistError::ByteRangeUnsupported(4),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            MediaPlaylist::parse(input).unwrap_err(),
            *want,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn rejects_gigantic_input() {
    let big = vec![b'#'; MAX_PLAYLIST_BYTES + 1];
    assert_eq!(
        MediaPlaylist::parse(&big),
        Err(PlaylistError::TooLarge(MAX_PLAYLIST_BYTES + 1))
    );
    let long_line = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{}\n",
        "a".repeat(MAX_LINE_BYTES + 1)
    );
    assert_eq!(
        MediaPlaylist::parse(long_line.as_bytes()),
        Err(PlaylistError::LineTooLong(4))
    );
    let mut many = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n");
    for i in 0..=MAX_SEGMENTS {
        many.push_str(&format!("#EXTINF:2,\n{i}.ts\n"));
    }
    assert_eq!(
        MediaPlaylist::parse(many.as_bytes()),
        Err(PlaylistError::TooManySegments)
    );
}

#[test]
fn truncated_playlists_never_panic() {
    for cut in 0..FFMPEG_FMP4.len() {
        let _ = MediaPlaylist::parse(&FFMPEG_FMP4.as_bytes()[..cut]);
        let _ = MediaPlaylist::parse(&FFMPEG_TS.as_bytes()[..cut]);
    }
}

#[test]
fn render_matches_ffmpeg_shape() {
    let p = MediaPlaylist::parse(FFMPEG_TS.as_bytes()).unwrap();
    assert_eq!(
        p.render(),
        FFMPEG_TS.replace("2.000000", "2").replace("1.960000", "1.96")
    );
}

#[test]
fn duration_formatting() {
    assert_eq!(format_duration(2.0), "2");
    assert_eq!(format_duration(2.002), "2.002");
    assert_eq!(format_duration(0.0), "0");
}

fn segment_strategy() -> impl Strategy<Value = MediaSegment> {
    (
        "[a-z0-9_-]{1,12}\\.(ts|m4s)",
        0u32..20_000_000,
        any::<bool>(),
        proptest::option::of(Just("2026-11-25T13:00:00.000Z".to_owned())),
        proptest::option::of("[a-z]{1,8}\\.mp4".prop_map(|uri| MediaMap { uri })),
    )
        .prop_map(|(uri, micros, discontinuity, program_date_time, map)| MediaSegment {
            uri,
            duration: f64::from(micros) / 1_000_000.0,
            discontinuity,
            program_date_time,
            map,
        })
}

proptest! {
    #[test]
    fn render_then_parse_round_trips(
        version in 1u32..10,
        target_duration in 1u64..30,
        media_sequence in 0u64..1_000_000,
        discontinuity_sequence in 0u64..100,
        independent_segments in any::<bool>(),
        end_list in any::<bool>(),
        mut segments in proptest::collection::vec(segment_strategy(), 0..20),
    ) {
        // An EXT-X-MAP stays in effect until the next one: later segments inherit it.
        let mut current = None;
        for s in &mut segments {
            if s.map.is_none() { s.map.clone_from(&current) } else { current.clone_from(&s.map) }
        }
        let p = MediaPlaylist { version, target_duration, media_sequence, discontinuity_sequence, independent_segments, segments, end_list };
        prop_assert_eq!(MediaPlaylist::parse(p.render().as_bytes()).unwrap(), p);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = MediaPlaylist::parse(&bytes);
    }
}
