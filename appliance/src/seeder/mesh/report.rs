//! The box's mesh traffic as figures (`venuebox_seeder_mesh_*`), part of the seeder's source.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{Mesh, MeshCounters};
use crate::report::Figure;

/// Picks one counter of [`MeshCounters`].
type Field = fn(&MeshCounters) -> &AtomicU64;

/// Counters: name, help, field.
const COUNTERS: &[(&str, &str, Field)] = &[
    (
        "seeder_mesh_bytes_sent_total",
        "Bytes written to live-mesh links (pushed and requested blocks, framing, handshakes).",
        |c| &c.bytes_sent,
    ),
    (
        "seeder_mesh_bytes_pushed_total",
        "Block bytes the box pushed to its mesh neighbours.",
        |c| &c.bytes_pushed,
    ),
    (
        "seeder_mesh_bytes_served_total",
        "Block bytes the box sent on its mesh neighbours' requests.",
        |c| &c.bytes_served,
    ),
    (
        "seeder_mesh_requests_refused_total",
        "Requests the box answered with reject (the mesh holds the piece).",
        |c| &c.requests_refused,
    ),
    (
        "seeder_mesh_links_opened_total",
        "Mesh links that completed both handshakes.",
        |c| &c.links_opened,
    ),
];

impl Mesh {
    /// The mesh's figures.
    pub fn figures(&self) -> Vec<Figure> {
        let mut out: Vec<Figure> = COUNTERS
            .iter()
            .map(|(name, help, field)| Figure::counter(*name, help, field(&self.counters).load(Ordering::Relaxed)))
            .collect();
        out.push(Figure::count(
            "seeder_mesh_neighbours",
            "Viewers linked to the box in the stream swarm now.",
            self.neighbours() as u64,
        ));
        out
    }
}
