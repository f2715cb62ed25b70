//! The WebRTC seeder: every segment of the window is a torrent that stock WebTorrent clients
//! download from the box over WebRTC data channels.
//!
//! Contract with the tracker (in-process): when the tracker routes a viewer's offer to the box,
//! it calls [`Seeder::answer_offer`]`(info_hash, offer_sdp).await` and relays the returned answer
//! SDP to the viewer with the offer's `offer_id` and the box's [`Seeder::peer_id`] as `peer_id`
//! (`to_peer_id` = the viewer). The answer is complete (no trickle ICE). Errors mean "do not
//! answer": [`SeederError::UnknownTorrent`] (not in the window), [`SeederError::Busy`] (peer
//! limits), others (bad SDP). The tracker lists the box as a seeder (`left: 0`) of every info
//! hash in [`Seeder::segments`].
//!
//! In the service, [`tracker_link::answer_offers`] takes the offers the box's tracker routes to
//! the seeder and hands the answers back; [`window::run`] registers every seeded segment's swarm
//! with the tracker.
//!
//! Contract with the window: [`Seeder::add_segment`] on `Added`, [`Seeder::remove_segment`] on
//! `Removed` (its peers are closed).

mod channel;
mod config;
mod error;
pub mod mesh;
mod peer;
mod report;
mod rtc;
mod segments;
pub mod tracker_link;
pub mod window;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use venuebox_proto::torrent::{InfoHash, Torrent};

pub use crate::config::SeederSettings;
pub use config::SeederConfig;
pub use error::SeederError;
pub use segments::{SeededSegment, Segments};

/// Sequence number under which the fMP4 init segment in effect is seeded.
pub const INIT_SEQ: u64 = u64::MAX;

/// The box's WebTorrent peer.
pub struct Seeder {
    cfg: SeederConfig,
    rtc: rtc::Rtc,
    segments: Segments,
    peer_id: [u8; 20],
    mesh: Option<Arc<mesh::Mesh>>,
    /// Offers not answered because too many answers were in flight.
    pub(crate) offers_shed: std::sync::atomic::AtomicU64,
}

impl Seeder {
    /// Binds the UDP port and starts the seeder with no segments.
    pub async fn new(cfg: SeederConfig) -> Result<Self, SeederError> {
        let rtc = rtc::Rtc::new(&cfg).await?;
        let peer_id = new_peer_id();
        let mesh = cfg.mesh.clone().map(|m| mesh::Mesh::new(m, peer_id));
        Ok(Seeder {
            cfg,
            rtc,
            segments: Segments::default(),
            peer_id,
            mesh,
            offers_shed: Default::default(),
        })
    }

    /// The box's BitTorrent peer id (`-VB0001-` and 12 random characters).
    pub fn peer_id(&self) -> [u8; 20] {
        self.peer_id
    }

    /// The box's membership in the live mesh's stream swarm, when enabled.
    pub fn mesh(&self) -> Option<&Arc<mesh::Mesh>> {
        self.mesh.as_ref()
    }

    /// The UDP address every peer connection uses.
    pub fn udp_addr(&self) -> SocketAddr {
        self.rtc.local_addr()
    }

    /// Makes segment `seq` called `name` a torrent and starts seeding it.
    pub fn add_segment(&self, seq: u64, name: &str, data: Bytes) -> Result<Arc<SeededSegment>, SeederError> {
        let torrent = Torrent::build(name, &data)?;
        Ok(self.add_torrent(seq, Arc::new(torrent), data))
    }

    /// Starts seeding segment `seq` whose torrent is already made (the window makes one per
    /// segment); `data` must be the bytes `torrent` describes.
    pub fn add_torrent(&self, seq: u64, torrent: Arc<Torrent>, data: Bytes) -> Arc<SeededSegment> {
        let seg = Arc::new(SeededSegment::new(seq, torrent, data, &self.cfg.trackers));
        self.segments.insert(seg.clone());
        seg
    }

    /// Seeds the fMP4 init segment `name` (under [`INIT_SEQ`]) in place of the previous one.
    pub fn set_init(&self, name: &str, data: Bytes) -> Result<Arc<SeededSegment>, SeederError> {
        self.segments.remove_seq(INIT_SEQ);
        self.add_segment(INIT_SEQ, name, data)
    }

    /// Name of the init segment being seeded, if any.
    pub fn init_name(&self) -> Option<String> {
        self.segments.by_seq(INIT_SEQ).map(|s| s.torrent.name().to_owned())
    }

    /// Stops seeding segment `seq` and closes its peer connections.
    pub fn remove_segment(&self, seq: u64) -> Option<Arc<SeededSegment>> {
        self.segments.remove_seq(seq)
    }

    /// The segments being seeded.
    pub fn segments(&self) -> &Segments {
        &self.segments
    }

    /// Answers a viewer's WebRTC offer for torrent `info_hash` with the box's answer SDP.
    pub async fn answer_offer(&self, info_hash: InfoHash, offer_sdp: &str) -> Result<String, SeederError> {
        if let Some(mesh) = self.mesh.as_ref().filter(|m| m.info_hash() == info_hash) {
            return self.answer_mesh(mesh, offer_sdp).await;
        }
        let seg = self
            .segments
            .get(&info_hash)
            .ok_or(SeederError::UnknownTorrent(info_hash))?;
        let slot = self
            .segments
            .claim(&seg, self.cfg.max_peers, self.cfg.max_peers_per_segment)
            .ok_or(SeederError::Busy)?;
        let (pc, answer) = self.rtc.answer(offer_sdp).await?;
        peer::spawn(peer::PeerParams {
            pc,
            slot,
            session: self.cfg.session.clone(),
            connect_timeout: self.cfg.connect_timeout,
            peer_id: self.peer_id,
        });
        Ok(answer)
    }

    /// Answers an offer in the stream swarm and starts the neighbour's link, while a slot is free.
    async fn answer_mesh(&self, mesh: &Arc<mesh::Mesh>, offer_sdp: &str) -> Result<String, SeederError> {
        if !mesh.has_room() {
            return Err(SeederError::Busy);
        }
        let (pc, answer) = self.rtc.answer(offer_sdp).await?;
        if !mesh.start_link(pc.clone(), self.cfg.connect_timeout) {
            let _ = pc.close().await;
            return Err(SeederError::Busy);
        }
        Ok(answer)
    }
}

fn new_peer_id() -> [u8; 20] {
    let mut id = *b"-VB0001-000000000000";
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    x ^= u64::from(std::process::id()) << 32;
    for b in &mut id[8..] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize];
    }
    id
}
