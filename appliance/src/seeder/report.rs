//! The seeder as a figure source (`seeder` in `/api/status`, `venuebox_seeder_*`): peers, the
//! segments it seeds with their magnets, and the payload bytes it uploaded (its share of the
//! box's egress).

use super::{Seeder, INIT_SEQ};
use crate::report::{Figure, Source};
use serde_json::json;
use std::sync::atomic::Ordering;

impl Source for Seeder {
    fn name(&self) -> &'static str {
        "seeder"
    }

    fn figures(&self) -> Vec<Figure> {
        let list = self.segments.list();
        let window_uploaded: u64 = list.iter().map(|s| s.uploaded()).sum();
        let segments: Vec<_> = list
            .iter()
            .map(|s| {
                json!({
                    "seq": (s.seq != INIT_SEQ).then_some(s.seq),
                    "init": s.seq == INIT_SEQ,
                    "name": s.torrent.name(),
                    "info_hash": s.torrent.info_hash().to_hex(),
                    "magnet": s.magnet,
                    "length": s.torrent.length(),
                    "pieces": s.torrent.piece_count(),
                    "uploaded": s.uploaded(),
                    "peers": s.peers(),
                    "connections": s.connections(),
                    "dropped": s.dropped(),
                })
            })
            .collect();
        let mut out = vec![
            Figure::status("udp_port", self.udp_addr().port()),
            Figure::count(
                "seeder_peers",
                "Peer connections open now.",
                self.segments.total_peers() as u64,
            )
            .at("peers"),
            Figure::count("seeder_segments", "Segments being seeded.", list.len() as u64),
            Figure::count(
                "seeder_window_uploaded_bytes",
                "Payload bytes uploaded for the segments in the window.",
                window_uploaded,
            ),
            Figure::counter(
                "seeder_uploaded_bytes_total",
                "Payload bytes uploaded to peers since start.",
                self.segments.uploaded_total(),
            )
            .at("uploaded_bytes_total"),
            Figure::counter(
                "seeder_offers_shed_total",
                "Offers not answered: too many answers in flight.",
                self.offers_shed.load(Ordering::Relaxed),
            )
            .at("offers_shed"),
            Figure::status("segments", segments),
            Figure::status("mesh", json!(self.mesh().map(|m| m.status_json()))),
        ];
        out.extend(self.mesh().map(|m| m.figures()).unwrap_or_default());
        out.extend(list.iter().map(|s| {
            Figure::count(
                "seeder_segment_uploaded_bytes",
                "Payload bytes uploaded for one segment.",
                s.uploaded(),
            )
            .label("seq", s.seq.to_string())
        }));
        out
    }
}
