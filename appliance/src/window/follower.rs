//! The one way a task follows the window: snapshot, follow, resync on lag.
//!
//! A [`WindowFollower`] subscribes to the window's events, then takes a snapshot and hands it
//! out as `Added` events; after that it hands out the window's events. It keeps the segments it
//! has handed out, so what it hands out is always consistent: a segment is `Added` once, in
//! sequence order, and `Removed` at most once, only after its `Added`. When its task falls
//! behind the channel (the events are lost), it takes a new snapshot and hands out the
//! difference — `Removed` for what left, then `Added` for what is new — followed by
//! [`Followed::Resynced`]. Every task applies events the same way with or without a lag.
//!
//! `next` is cancel-safe: use it in `tokio::select!` with a shutdown token.

use super::{Segment, SharedWindow, WindowEvent};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{error::RecvError, Receiver};

/// What a follower hands its task.
#[derive(Debug, Clone)]
pub enum Followed {
    /// A window event (after a lag: part of the difference from the new snapshot).
    Event(WindowEvent),
    /// The task missed `missed` events; the difference has just been handed out.
    Resynced {
        /// Events lost on the channel.
        missed: u64,
    },
}

/// Follows the window for one task.
#[derive(Debug)]
pub struct WindowFollower {
    window: Arc<SharedWindow>,
    events: Receiver<WindowEvent>,
    /// The segments handed out as `Added` and not yet as `Removed`, oldest first.
    live: VecDeque<Arc<Segment>>,
    /// The newest sequence handed out.
    newest: Option<u64>,
    pending: VecDeque<Followed>,
    task: &'static str,
}

impl WindowFollower {
    /// Subscribes now and queues the window's present segments; `task` names it in logs.
    pub fn new(window: Arc<SharedWindow>, task: &'static str) -> Self {
        let events = window.subscribe();
        let mut f = Self {
            window,
            events,
            live: VecDeque::new(),
            newest: None,
            pending: VecDeque::new(),
            task,
        };
        f.snapshot();
        f
    }

    /// The next event; `None` once the window's channel closed.
    pub async fn next(&mut self) -> Option<Followed> {
        loop {
            if let Some(f) = self.pending.pop_front() {
                return Some(f);
            }
            match self.events.recv().await {
                Ok(event) => {
                    if let Some(event) = self.admit(event) {
                        return Some(Followed::Event(event));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(task = self.task, missed, "fell behind the window's events; resyncing");
                    self.snapshot();
                    self.pending.push_back(Followed::Resynced { missed });
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The segments handed out and not removed, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &Arc<Segment>> {
        self.live.iter()
    }

    /// Keeps the stream consistent: drops an `Added` already handed out (it was in the snapshot)
    /// and a `Removed` of a segment never handed out (it left before the snapshot).
    fn admit(&mut self, event: WindowEvent) -> Option<WindowEvent> {
        match &event {
            WindowEvent::Added(seg) => {
                if self.newest.is_some_and(|n| seg.seq <= n) {
                    return None;
                }
                self.newest = Some(seg.seq);
                self.live.push_back(seg.clone());
            }
            WindowEvent::Removed(seg) => {
                let at = self.live.iter().position(|s| s.seq == seg.seq)?;
                self.live.remove(at);
            }
            WindowEvent::EndOfStream => {}
        }
        Some(event)
    }

    /// Queues the difference between what was handed out and the window now.
    fn snapshot(&mut self) {
        let now: Vec<Arc<Segment>> = self.window.read().segments().cloned().collect();
        let gone: Vec<Arc<Segment>> = self
            .live
            .iter()
            .filter(|old| !now.iter().any(|s| s.seq == old.seq))
            .cloned()
            .collect();
        for seg in gone {
            if let Some(e) = self.admit(WindowEvent::Removed(seg)) {
                self.pending.push_back(Followed::Event(e));
            }
        }
        for seg in now {
            if let Some(e) = self.admit(WindowEvent::Added(seg)) {
                self.pending.push_back(Followed::Event(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{IncomingSegment, WindowLimits};

    fn incoming(n: u8) -> IncomingSegment {
        IncomingSegment::test_ts(format!("s{n}.ts"), vec![n; 100])
    }

    fn window(max_segments: usize) -> Arc<SharedWindow> {
        SharedWindow::new(WindowLimits {
            max_duration_secs: 1000.0,
            max_segments,
            max_bytes: 1 << 30,
        })
    }

    async fn drain(f: &mut WindowFollower) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(Some(x)) = tokio::time::timeout(std::time::Duration::from_millis(20), f.next()).await {
            out.push(match x {
                Followed::Event(WindowEvent::Added(s)) => format!("+{}", s.source_uri),
                Followed::Event(WindowEvent::Removed(s)) => format!("-{}", s.source_uri),
                Followed::Event(WindowEvent::EndOfStream) => "end".to_owned(),
                Followed::Resynced { .. } => "resynced".to_owned(),
            });
        }
        out
    }

    #[tokio::test]
    async fn snapshot_then_events_each_once() {
        let w = window(3);
        w.push(incoming(1));
        w.push(incoming(2));
        let mut f = WindowFollower::new(w.clone(), "test");
        w.push(incoming(3));
        w.push(incoming(4));
        w.end_of_stream();
        assert_eq!(
            drain(&mut f).await,
            ["+s1.ts", "+s2.ts", "+s3.ts", "-s1.ts", "+s4.ts", "end"]
        );
        assert_eq!(f.segments().count(), 3);
    }

    #[tokio::test]
    async fn lag_hands_out_the_difference() {
        let w = window(4);
        let mut f = WindowFollower::new(w.clone(), "test");
        w.push(incoming(0));
        assert_eq!(drain(&mut f).await, ["+s0.ts"]);
        for n in 1..=(super::super::shared::EVENT_BUFFER + 10) {
            w.push(incoming((n % 250) as u8));
        }
        let out = drain(&mut f).await;
        assert_eq!(out[0], "-s0.ts", "{out:?}");
        assert!(out[1..5].iter().all(|e| e.starts_with('+')), "{out:?}");
        assert_eq!(out[5], "resynced", "{out:?}");
        assert_eq!(out.len(), 6, "{out:?}");
        let held: Vec<u64> = w.read().segments().map(|s| s.seq).collect();
        let followed: Vec<u64> = f.segments().map(|s| s.seq).collect();
        assert_eq!(held, followed);
    }
}
