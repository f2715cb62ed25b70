//! The uplink task: feeds window events to the [`Scheduler`], runs its jobs against an
//! [`ObjectStore`] and publishes its figures; follows the window with a [`WindowFollower`].

use super::scheduler::{Job, JobAction, JobId, Scheduler, SchedulerConfig};
use super::status::UplinkStatus;
use super::store::ObjectStore;
use super::viewer::ViewerBundle;
use crate::window::{Followed, SharedWindow, WindowEvent, WindowFollower};
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Why the uplink task stopped.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The window's event channel closed (the service is going down).
    #[error("the segment window's event channel closed")]
    WindowClosed,
    /// A request task panicked.
    #[error("an upload request panicked: {0}")]
    Panicked(String),
}

/// What the task needs.
pub struct TaskParams<S> {
    /// The bucket.
    pub store: S,
    /// The segment window.
    pub window: Arc<SharedWindow>,
    /// Scheduler settings.
    pub scheduler: SchedulerConfig,
    /// The viewer app to upload, if built.
    pub viewer: Option<ViewerBundle>,
    /// Where figures go.
    pub status: Arc<UplinkStatus>,
}

/// Runs until `shutdown`.
pub async fn run<S: ObjectStore>(p: TaskParams<S>, shutdown: CancellationToken) -> Result<(), TaskError> {
    let mut window = WindowFollower::new(p.window, "uplink");
    let prefix = p.scheduler.prefix.clone();
    let mut sched = Scheduler::new(p.scheduler);
    let mut jobs: JoinSet<(JobId, Result<(), String>)> = JoinSet::new();
    let mut viewer_check = p
        .viewer
        .map(|bundle| tokio::spawn(viewer_needed(p.store.clone(), bundle, prefix.clone())));
    let mut failing = false;
    loop {
        let now = Instant::now();
        while let Some(job) = sched.poll_job(now) {
            jobs.spawn(run_job(p.store.clone(), job));
        }
        let stats = sched.stats();
        log_transitions(&mut failing, &stats);
        p.status.update(stats);
        let wake = sched.poll_timeout(now);
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            followed = window.next() => match followed {
                Some(Followed::Event(WindowEvent::Added(seg))) => sched.segment_added(seg, Instant::now()),
                Some(Followed::Event(WindowEvent::Removed(seg))) => sched.segment_removed(seg.seq, Instant::now()),
                Some(Followed::Event(WindowEvent::EndOfStream) | Followed::Resynced { .. }) => {}
                None => return Err(TaskError::WindowClosed),
            },
            Some(done) = jobs.join_next(), if !jobs.is_empty() => {
                let (id, result) = done.map_err(|e| TaskError::Panicked(e.to_string()))?;
                sched.job_done(id, result, Instant::now());
            }
            checked = async { viewer_check.as_mut().expect("guarded").await }, if viewer_check.is_some() => {
                viewer_check = None;
                if let Ok(Some(bundle)) = checked {
                    tracing::info!(version = %bundle.version, files = bundle.files.len(), "uploading the viewer app");
                    let marker = bundle.marker(&prefix);
                    sched.set_viewer(bundle.files, marker);
                }
            }
            () = sleep_until(wake), if wake.is_some() => {}
        }
    }
}

async fn sleep_until(wake: Option<Instant>) {
    if let Some(at) = wake {
        tokio::time::sleep_until(at.into()).await;
    }
}

async fn run_job<S: ObjectStore>(store: S, job: Job) -> (JobId, Result<(), String>) {
    let (what, result) = match job.action {
        JobAction::Put(req) => {
            let key = req.key.clone();
            (key, store.put(req).await)
        }
        JobAction::Delete(key) => {
            let result = store.delete(&key).await;
            (key, result)
        }
    };
    if let Err(e) = &result {
        tracing::debug!(key = %what, error = %e, "uplink request failed");
    }
    (job.id, result.map_err(|e| format!("{what}: {e}")))
}

/// The bundle if the bucket does not already hold this version.
async fn viewer_needed<S: ObjectStore>(store: S, bundle: ViewerBundle, prefix: String) -> Option<ViewerBundle> {
    let marker = bundle.marker(&prefix);
    match store.get(&marker.key).await {
        Ok(v) if v == marker.body => {
            tracing::info!(version = %bundle.version, "the bucket already holds this viewer app");
            None
        }
        _ => Some(bundle),
    }
}

/// Logs the start and the end of a run of failures (not every failed request).
fn log_transitions(failing: &mut bool, stats: &super::status::UplinkStats) {
    let now_failing = stats.consecutive_failures > 0;
    if now_failing && !*failing {
        tracing::warn!(
            error = stats.last_error.as_deref().unwrap_or("-"),
            "uplink requests failing; retrying with backoff"
        );
    } else if !now_failing && *failing {
        tracing::info!(skipped = stats.segments_skipped, "uplink requests succeed again");
    }
    *failing = now_failing;
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
