//! Which job a free slot gets: the changed playlist, init segments, segments oldest first,
//! due deletions, then the viewer app with its version marker last.

use super::{JobAction, Scheduler, State, Target};
use crate::uplink::keys;
use crate::uplink::store::PutRequest;
use std::time::Instant;

impl Scheduler {
    pub(super) fn next_target(&mut self, now: Instant) -> Option<(Target, JobAction)> {
        if self.published.needs_upload() {
            let (version, text) = self.published.start_upload();
            let put = put(
                keys::hls(&self.cfg.prefix, "live.m3u8"),
                text.into(),
                keys::CACHE_PLAYLIST,
            );
            return Some((Target::Playlist(version), JobAction::Put(put)));
        }
        if let Some(job) = self.next_init().or_else(|| self.next_segment()) {
            return Some(job);
        }
        if let Some(job) = self.next_delete(now) {
            return Some(job);
        }
        self.next_viewer()
    }

    fn next_init(&mut self) -> Option<(Target, JobAction)> {
        let segments = &self.segments;
        let (name, e) = self.inits.iter_mut().find(|(name, e)| {
            e.state == State::Pending
                && segments.values().any(|s| {
                    !s.left && s.state != State::Skipped && s.seg.init.as_ref().is_some_and(|i| &i.name == *name)
                })
        })?;
        e.state = State::InFlight;
        let req = put(
            keys::hls(&self.cfg.prefix, name),
            e.init.data.clone(),
            keys::CACHE_SHORT,
        );
        Some((Target::Init(name.clone()), JobAction::Put(req)))
    }

    fn next_segment(&mut self) -> Option<(Target, JobAction)> {
        let e = self
            .segments
            .values_mut()
            .find(|e| e.state == State::Pending && !e.left)?;
        e.state = State::InFlight;
        let req = put(
            keys::hls(&self.cfg.prefix, &e.seg.name),
            e.seg.data.clone(),
            keys::CACHE_IMMUTABLE,
        );
        Some((Target::Segment(e.seg.seq), JobAction::Put(req)))
    }

    fn next_delete(&mut self, now: Instant) -> Option<(Target, JobAction)> {
        let uploaded = self.published.uploaded_version();
        let pos = self
            .deletes
            .iter()
            .position(|d| d.after_version <= uploaded && d.not_before <= now)?;
        let d = self.deletes.remove(pos)?;
        let key = d.key.clone();
        Some((Target::Delete(d), JobAction::Delete(key)))
    }

    fn next_viewer(&mut self) -> Option<(Target, JobAction)> {
        let req = match self.viewer.pop_front() {
            Some(r) => r,
            None if !self.viewer_in_flight() => self.viewer_marker.take()?,
            None => return None,
        };
        Some((Target::Viewer(req.clone()), JobAction::Put(req)))
    }

    fn viewer_in_flight(&self) -> bool {
        self.in_flight.values().any(|(t, _)| matches!(t, Target::Viewer(_)))
    }
}

fn put(key: String, body: bytes::Bytes, cache_control: &'static str) -> PutRequest {
    PutRequest {
        content_type: keys::content_type(&key),
        key,
        body,
        cache_control,
    }
}
