//! The service's one TOML configuration: built-in defaults, every field documented, unknown
//! fields rejected, `VENUEBOX_<SECTION>_<FIELD>` environment overrides. A leaf: it owns every
//! section and imports nothing of the service; subsystems convert their section into their
//! runtime types (`From<&config::X>`).

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod env;
mod front;
mod http;
mod mesh;
mod seeder;
mod uplink;
pub use front::{is_host_label, AdminConfig, DiscoveryConfig, SignalConfig};
pub use http::HttpConfig;
pub use mesh::MeshSettings;
pub use seeder::SeederSettings;
pub use uplink::UplinkConfig;

/// Most segments a window can hold, whatever the configuration says.
pub const HARD_MAX_SEGMENTS: usize = 256;

/// What `--print-config` shows instead of a secret.
pub const REDACTED: &str = "<set; not shown>";
/// Longest stream key accepted.
pub const MAX_STREAM_KEY_BYTES: usize = 256;

/// Default log filter: the service at `info`; the WebRTC stack only from `warn` (its `info` is
/// per-connection state chatter) and ICE only from `error` (it warns about every closed candidate).
pub const DEFAULT_LOG_FILTER: &str =
    "info,webrtc=warn,webrtc_ice=error,webrtc_sctp=error,webrtc_dtls=warn,webrtc_mdns=warn,webrtc_srtp=warn";

/// Environment variables with this prefix override configuration fields.
pub const ENV_PREFIX: &str = "VENUEBOX_";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown field or a wrong type.
    #[error("invalid config{}: {source}", origin.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Parse {
        /// The file, if the error came from one.
        origin: Option<PathBuf>,
        /// The TOML error, naming the field.
        #[source]
        source: toml::de::Error,
    },
    /// An environment override names no known field or has a bad value.
    #[error("environment variable {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
    /// Values that are individually valid but do not make sense together.
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The HTTP server: viewer, HLS, status, WebSockets.
    pub http: HttpConfig,
    /// Where the stream comes from.
    pub ingest: IngestConfig,
    /// The in-memory segment window.
    pub window: WindowConfig,
    /// The built-in test stream (`ingest.mode = "demo"`).
    pub demo: DemoConfig,
    /// Logging.
    pub log: LogConfig,
    /// Signaling (`/signal`).
    pub signal: SignalConfig,
    /// mDNS, viewer URL and QR code.
    pub discovery: DiscoveryConfig,
    /// The staff page (`/admin`).
    pub admin: AdminConfig,
    /// The R2 uplink (CDN fallback); off by default.
    pub uplink: UplinkConfig,
    /// The WebRTC seeder.
    pub seeder: SeederSettings,
    /// The live mesh's stream swarm.
    pub mesh: MeshSettings,
}

/// How the stream arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IngestMode {
    /// A built-in ffmpeg test pattern (see `[demo]`).
    Demo,
    /// Watch an HLS folder written by another program (Owncast, ffmpeg).
    #[default]
    HlsDir,
    /// Take OBS's RTMP push on `ingest.rtmp_listen` and remux it into `ingest.hls_dir`.
    Rtmp,
}

/// The RTMP stream key: a secret. Its `Debug` output never shows it; read it with
/// [`StreamKey::expose`] only where it is compared.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamKey(String);

impl StreamKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "StreamKey(unset)"
        } else {
            "StreamKey(<redacted>)"
        })
    }
}

/// Ingest settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// `"rtmp"`, `"hls-dir"` or `"demo"`.
    pub mode: IngestMode,
    /// The HLS folder to watch (`hls-dir`), or where the RTMP ingest writes (`rtmp`; tmpfs on
    /// the image). Demo mode always uses a fresh temporary folder.
    pub hls_dir: PathBuf,
    /// Address and port OBS pushes RTMP to (`rtmp`).
    pub rtmp_listen: SocketAddr,
    /// The stream key OBS must use (`rtmp`); required in that mode, never logged.
    pub stream_key: StreamKey,
    /// Segment length, seconds, the RTMP ingest cuts (at keyframes) and the keyframe check
    /// expects from the producer.
    pub segment_secs: u32,
    /// File name of the media playlist inside `hls_dir` (Owncast writes `stream.m3u8`).
    pub playlist: String,
    /// The ffmpeg program the demo stream and the RTMP ingest run.
    pub ffmpeg: PathBuf,
    /// The ffprobe program that reads resolution, codecs and keyframes from segments.
    pub ffprobe: PathBuf,
    /// Longest time without a playlist change before the producer is checked again (ms); a
    /// safety net under file-system notifications.
    pub poll_ms: u64,
}

/// Segment window bounds: segments leave when any bound is exceeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowConfig {
    /// Seconds of stream kept.
    pub max_duration_secs: f64,
    /// Most segments kept (at most 256).
    pub max_segments: usize,
    /// Most segment bytes kept.
    pub max_bytes: u64,
    /// Largest single segment accepted, bytes; bigger ones are skipped with an error.
    pub max_segment_bytes: u64,
}

/// The demo stream ffmpeg makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Video width in pixels.
    pub width: u32,
    /// Video height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Video bitrate, kbit/s.
    pub video_kbps: u32,
    /// Segment length, seconds (a keyframe starts every segment).
    pub segment_secs: u32,
    /// Segment container: `"ts"` (MPEG-TS) or `"fmp4"`.
    pub container: DemoContainer,
}

/// Segment container of the demo stream (the one container type, from proto).
pub use venuebox_proto::signal::Container as DemoContainer;

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `venuebox=debug,hyper=warn`; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            mode: IngestMode::HlsDir,
            hls_dir: PathBuf::from("/run/venuebox/hls"),
            rtmp_listen: SocketAddr::from(([0, 0, 0, 0], 1935)),
            stream_key: StreamKey::default(),
            segment_secs: 2,
            playlist: "stream.m3u8".to_owned(),
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            poll_ms: 500,
        }
    }
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            max_duration_secs: 60.0,
            max_segments: 64,
            max_bytes: 96 << 20,
            max_segment_bytes: 16 << 20,
        }
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            fps: 30,
            video_kbps: 2500,
            segment_secs: 2,
            container: DemoContainer::Ts,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: DEFAULT_LOG_FILTER.to_owned(),
        }
    }
}

impl Config {
    /// Loads the file (or the defaults when `path` is `None`), then applies environment
    /// overrides from `env`, then validates.
    pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                path: p.to_owned(),
                source,
            })?,
            None => String::new(),
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            origin: path.map(Path::to_owned),
            source,
        })?;
        env::apply(&mut table, env)?;
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|source| ConfigError::Parse {
                origin: path.map(Path::to_owned),
                source,
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Renders the configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config is plain data and always serialises")
    }

    /// Renders the configuration as TOML with secrets replaced (what `--print-config` prints).
    pub fn to_toml_redacted(&self) -> String {
        let mut shown = self.clone();
        if !shown.ingest.stream_key.is_empty() {
            shown.ingest.stream_key = StreamKey::new(REDACTED);
        }
        if !shown.admin.password.is_empty() {
            shown.admin.password = REDACTED.to_owned();
        }
        shown.to_toml()
    }

    /// Rejects settings that cannot work: each section checks itself, then settings that must
    /// agree across sections are compared.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.http.validate()?;
        self.window.validate()?;
        self.ingest.validate()?;
        self.demo.validate()?;
        self.signal.validate()?;
        self.discovery.validate()?;
        self.seeder.validate()?;
        self.mesh.validate()?;
        self.uplink.validate()?;
        self.validate_r2_urls()
    }

    /// The R2 public URL exists twice: `signal.r2_base_url` (what viewers are told) and
    /// `uplink.public_base_url` + `uplink.prefix` (where the uplink puts segments). With the
    /// uplink on, a set `signal.r2_base_url` must name the segments' folder there.
    fn validate_r2_urls(&self) -> Result<(), ConfigError> {
        let announced = self.signal.r2_base_url.trim_end_matches('/');
        match self.uplink.segments_url() {
            Some(uploaded) if !announced.is_empty() && announced != uploaded => Err(ConfigError::Invalid(format!(
                "signal.r2_base_url ({announced}) must be {uploaded} (uplink.public_base_url + uplink.prefix + hls), or empty"
            ))),
            _ => Ok(()),
        }
    }
}

impl IngestConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let i = self;
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !venuebox_proto::http_path::is_plain_name(&i.playlist) {
            return invalid("ingest.playlist must be a plain file name");
        }
        if i.poll_ms == 0 {
            return invalid("ingest.poll_ms must be positive");
        }
        if !(1..=10).contains(&i.segment_secs) {
            return invalid("ingest.segment_secs must be between 1 and 10");
        }
        if i.mode != IngestMode::Rtmp {
            return Ok(());
        }
        let key = i.stream_key.expose();
        if key.is_empty() {
            return invalid("ingest.mode = \"rtmp\" needs ingest.stream_key (the key OBS uses)");
        }
        if key.len() > MAX_STREAM_KEY_BYTES || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return invalid("ingest.stream_key must be 1-256 printable ASCII characters without spaces");
        }
        Ok(())
    }
}

impl WindowConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !(self.max_duration_secs.is_finite() && self.max_duration_secs >= 2.0) {
            return invalid("window.max_duration_secs must be at least 2");
        }
        if !(2..=HARD_MAX_SEGMENTS).contains(&self.max_segments) {
            return invalid("window.max_segments must be between 2 and 256");
        }
        if self.max_segment_bytes == 0 || self.max_segment_bytes > self.max_bytes {
            return invalid("window.max_segment_bytes must be positive and at most window.max_bytes");
        }
        Ok(())
    }
}

impl DemoConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let d = self;
        if d.width < 16 || d.height < 16 || d.fps == 0 || d.segment_secs == 0 || d.video_kbps == 0 {
            return Err(ConfigError::Invalid(
                "demo: width/height must be >= 16 and fps, segment_secs, video_kbps positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
