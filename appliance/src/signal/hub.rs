//! The signaling hub: turns window events into encoded announcements once, keeps the announced
//! window for hellos, and fans frames out to every connection over a broadcast channel.
//!
//! Invariant: the cache and the broadcast are updated under one lock, and a connection takes
//! its hello snapshot and its subscription under the same lock, so it sees every segment exactly
//! once, in order (hello first, then the announcements that follow it).

use super::torrent::TorrentFn;
use crate::window::{Followed, Segment, WindowEvent, WindowFollower};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use venuebox_proto::signal::{
    Container, Discontinuity, End, Hello, InfoHashHex, InitInfo, Removed, SegmentInfo, SegmentName, ServerMessage,
    StreamInfo, StreamState, SwarmInfo, TorrentFile,
};

/// Frames fanned out to connections; a connection that falls this far behind is dropped.
pub const FANOUT_BUFFER: usize = 256;

/// One broadcast item.
#[derive(Debug, Clone)]
pub enum Frame {
    /// An encoded message, shared by every connection.
    Text(Utf8Bytes),
    /// The hub lost track of the window: connections close so viewers reconnect and resync.
    Reset,
}

#[derive(Debug, Default)]
struct Cache {
    segments: VecDeque<Arc<SegmentInfo>>,
    container: Option<Container>,
    last_seq: Option<u64>,
    swarm: Option<SwarmInfo>,
}

/// Announcement state shared by the hub task and the connections.
pub struct Announcer {
    cache: Mutex<Cache>,
    tx: broadcast::Sender<Frame>,
    r2_base: Option<String>,
    torrent_for: TorrentFn,
}

impl Announcer {
    /// A new announcer; `r2_base_url` empty means no R2 URLs.
    pub fn new(r2_base_url: &str, torrent_for: TorrentFn) -> Self {
        let base = r2_base_url.trim_end_matches('/');
        Self {
            cache: Mutex::new(Cache::default()),
            tx: broadcast::channel(FANOUT_BUFFER).0,
            r2_base: (!base.is_empty()).then(|| base.to_owned()),
            torrent_for,
        }
    }

    /// Names the live mesh's stream swarm in every hello from now on.
    pub fn set_swarm(&self, swarm: SwarmInfo) {
        self.lock().swarm = Some(swarm);
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hello for a new connection and its subscription to what follows.
    pub fn subscribe(
        &self,
        tracker_url: String,
        state: StreamState,
        stats_interval_secs: u32,
    ) -> (ServerMessage, broadcast::Receiver<Frame>) {
        let cache = self.lock();
        let hello = Hello {
            stream: StreamInfo {
                state,
                container: cache.container,
                playlist_url: "/hls/live.m3u8".to_owned(),
                r2_playlist_url: self.r2_base.as_ref().map(|b| format!("{b}/live.m3u8")),
            },
            tracker_url,
            stats_interval_secs,
            segments: cache.segments.iter().map(|s| (**s).clone()).collect(),
            swarm: cache.swarm.clone(),
        };
        (ServerMessage::Hello(hello), self.tx.subscribe())
    }

    /// Applies one window event: announce, then publish.
    pub fn apply(&self, event: &WindowEvent) {
        match event {
            WindowEvent::Added(seg) => {
                let info = Arc::new(self.segment_info(seg));
                let mut cache = self.lock();
                if seg.discontinuity {
                    self.publish(&ServerMessage::Discontinuity(Discontinuity { seq: seg.seq }));
                }
                self.publish(&ServerMessage::Segment((*info).clone()));
                cache.container = Some(seg.kind);
                cache.last_seq = Some(seg.seq);
                cache.segments.push_back(info);
            }
            WindowEvent::Removed(seg) => {
                let mut cache = self.lock();
                cache.segments.retain(|s| s.seq != seg.seq);
                if let Ok(name) = SegmentName::try_from(seg.name.clone()) {
                    self.publish(&ServerMessage::Removed(Removed { seq: seg.seq, name }));
                }
            }
            WindowEvent::EndOfStream => {
                let cache = self.lock();
                self.publish(&ServerMessage::End(End {
                    last_seq: cache.last_seq,
                }));
            }
        }
    }

    /// Closes every connection so viewers reconnect and start again from a hello (after the hub
    /// missed window events; the cache is already back in step).
    pub fn reset(&self) {
        let _ = self.tx.send(Frame::Reset);
    }

    fn publish(&self, msg: &ServerMessage) {
        match msg.encode() {
            Ok(text) => {
                let _ = self.tx.send(Frame::Text(Utf8Bytes::from(text)));
            }
            Err(e) => tracing::error!(error = %e, "signaling message failed validation; not sent"),
        }
    }

    /// What viewers learn about a segment.
    pub fn segment_info(&self, seg: &Segment) -> SegmentInfo {
        let (info_hash, torrent) = self.torrent(seg);
        let name = SegmentName::try_from(seg.name.clone()).expect("the window names segments seg-N.ext");
        let r2 = |n: &str| self.r2_base.as_ref().map(|b| format!("{b}/{n}"));
        SegmentInfo {
            seq: seg.seq,
            duration: seg.duration,
            bytes: seg.data.len() as u64,
            discontinuity: seg.discontinuity,
            program_date_time: seg
                .program_date_time
                .clone()
                .filter(|p| venuebox_proto::signal::check_date_time(p).is_ok()),
            url: format!("/hls/{}", seg.name),
            r2_url: r2(&seg.name),
            info_hash,
            torrent,
            init: seg.init.as_ref().and_then(|i| {
                Some(InitInfo {
                    name: SegmentName::try_from(i.name.clone()).ok()?,
                    url: format!("/hls/{}", i.name),
                    r2_url: r2(&i.name),
                })
            }),
            name,
        }
    }

    fn torrent(&self, seg: &Segment) -> (Option<InfoHashHex>, Option<TorrentFile>) {
        let Some((hash, bytes)) = (self.torrent_for)(seg) else {
            return (None, None);
        };
        match (InfoHashHex::try_from(hash), TorrentFile::new(bytes)) {
            (Ok(h), Ok(t)) => (Some(h), Some(t)),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(segment = %seg.name, error = %e, "torrent hook gave an invalid torrent");
                (None, None)
            }
        }
    }
}

/// The hub task: applies window events until `shutdown`.
pub async fn run(
    hub: Arc<super::SignalHub>,
    mut window: WindowFollower,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let followed = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            f = window.next() => f,
        };
        match followed {
            Some(Followed::Event(e)) => hub.announcer.apply(&e),
            Some(Followed::Resynced { .. }) => hub.announcer.reset(),
            None => return Ok(()),
        }
    }
}
