//! The `[mesh]` section: the live mesh's stream swarm (docs/LIVE-MESH.md).

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Most neighbours a viewer may be told to keep.
pub const MAX_VIEWER_NEIGHBOURS: u32 = 16;
/// Most neighbours the box keeps.
pub const MAX_BOX_NEIGHBOURS: usize = 64;

/// Live mesh settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeshSettings {
    /// Deliver segments over the live mesh (needs `seeder.enabled`); off: viewers play over
    /// HTTP and stock per-segment torrents only.
    pub enabled: bool,
    /// Names the stream swarm; empty: derived from `discovery.hostname` and the ingest source,
    /// so it is the same across restarts of one event.
    pub stream_id: String,
    /// Neighbours each viewer keeps (1-16).
    pub neighbours: u32,
    /// Neighbours the box's seeder keeps: the viewers it pushes each segment to (1-64).
    pub box_neighbours: usize,
}

impl Default for MeshSettings {
    fn default() -> Self {
        MeshSettings {
            enabled: true,
            stream_id: String::new(),
            neighbours: 6,
            box_neighbours: 4,
        }
    }
}

impl MeshSettings {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_VIEWER_NEIGHBOURS).contains(&self.neighbours) {
            return Err(ConfigError::Invalid("mesh.neighbours must be between 1 and 16".into()));
        }
        if !(1..=MAX_BOX_NEIGHBOURS).contains(&self.box_neighbours) {
            return Err(ConfigError::Invalid(
                "mesh.box_neighbours must be between 1 and 64".into(),
            ));
        }
        if self.stream_id.len() > 256 || self.stream_id.chars().any(char::is_control) {
            return Err(ConfigError::Invalid(
                "mesh.stream_id must be at most 256 bytes without control characters".into(),
            ));
        }
        Ok(())
    }

    /// The stream id: the configured one, or `derived()` when it is empty.
    pub fn stream_id_or(&self, derived: impl FnOnce() -> String) -> String {
        match self.stream_id.is_empty() {
            true => derived(),
            false => self.stream_id.clone(),
        }
    }
}
