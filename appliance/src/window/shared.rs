//! The window shared by the service's tasks: a lock around the pure window plus a broadcast
//! channel that carries its events to every subsystem.

use super::{IncomingSegment, SegmentWindow, WindowEvent, WindowLimits};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Instant, SystemTime};
use tokio::sync::broadcast;

/// Events buffered per subscriber before a slow one starts missing them (it is told so).
pub const EVENT_BUFFER: usize = 1024;

/// The window and its event channel.
#[derive(Debug)]
pub struct SharedWindow {
    window: RwLock<SegmentWindow>,
    events: broadcast::Sender<WindowEvent>,
}

impl SharedWindow {
    /// A new empty window.
    pub fn new(limits: WindowLimits) -> Arc<Self> {
        let first_seq = first_sequence(SystemTime::now());
        Arc::new(Self {
            window: RwLock::new(SegmentWindow::new(limits, first_seq)),
            events: broadcast::channel(EVENT_BUFFER).0,
        })
    }

    /// Receives every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WindowEvent> {
        self.events.subscribe()
    }

    /// Reads the window.
    pub fn read(&self) -> RwLockReadGuard<'_, SegmentWindow> {
        self.window.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a segment and publishes what changed.
    pub fn push(&self, segment: IncomingSegment) {
        let events = self.write(|w| w.push(segment, Instant::now(), SystemTime::now()));
        self.publish(events);
    }

    /// Records the end of the stream.
    pub fn end_of_stream(&self) {
        let event = self.write(|w| w.end_of_stream());
        self.publish(event);
    }

    /// Applies new limits.
    pub fn set_limits(&self, limits: WindowLimits) {
        let events = self.write(|w| w.set_limits(limits));
        self.publish(events);
    }

    fn write<T>(&self, f: impl FnOnce(&mut SegmentWindow) -> T) -> T {
        let mut guard = self.window.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    fn publish(&self, events: impl IntoIterator<Item = WindowEvent>) {
        for event in events {
            // No subscriber is not an error: the HTTP side reads the window directly.
            let _ = self.events.send(event);
        }
    }
}

/// The box's first sequence number: half-seconds since the epoch, so that numbers keep
/// increasing across a service restart (a viewer's player never sees them go back) as long as
/// segments are at least half a second long.
fn first_sequence(now: SystemTime) -> u64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| (d.as_millis() / 500) as u64)
}
