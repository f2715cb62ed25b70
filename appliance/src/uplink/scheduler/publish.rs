//! Publishing: uploaded segments join the uploaded playlist in order once their init segment is
//! stored, skipped ones mark a gap; finished entries and unused init segments are forgotten.

use super::{Scheduler, State};
use crate::uplink::keys;
use std::time::Instant;

impl Scheduler {
    /// Publishes uploaded segments in order, notes gaps, forgets what is finished.
    pub(super) fn after_change(&mut self, now: Instant) {
        for (seq, e) in self.segments.range_mut(self.frontier..) {
            match e.state {
                State::Uploaded => {
                    let init_ready = e
                        .seg
                        .init
                        .as_ref()
                        .is_none_or(|i| self.inits.get(&i.name).is_some_and(|ie| ie.state == State::Uploaded));
                    if !init_ready {
                        break;
                    }
                    self.published.push(&e.seg, self.gap);
                    self.gap = false;
                    e.state = State::Published;
                }
                State::Skipped => self.gap = self.published.version() > 0,
                State::Pending | State::InFlight | State::Published => break,
            }
            self.frontier = seq + 1;
        }
        let frontier = self.frontier;
        self.segments
            .retain(|seq, e| !(e.left && *seq < frontier && e.state != State::InFlight));
        self.forget_unused_inits(now);
    }

    fn forget_unused_inits(&mut self, now: Instant) {
        let unused: Vec<String> = self
            .inits
            .iter()
            .filter(|(name, e)| {
                e.state != State::InFlight
                    && !self.published.uses_init(name)
                    && !self
                        .segments
                        .values()
                        .any(|s| !s.left && s.seg.init.as_ref().is_some_and(|i| &i.name == *name))
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in unused {
            if self.inits.remove(&name).is_some_and(|e| e.state == State::Uploaded) {
                let version = self.published.version();
                self.queue_delete(keys::hls(&self.cfg.prefix, &name), version, now + self.cfg.delete_grace);
            }
        }
    }
}
