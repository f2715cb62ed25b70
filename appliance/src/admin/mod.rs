//! The staff page (`/admin`, HTTP Basic, user `staff`): ingest, viewers, P2P share, egress,
//! uplink lag, recent errors, charts of the last minutes and a full-screen QR for projecting.

pub mod auth;
pub mod errors;
pub mod figures;
pub mod history;
pub mod host;
pub mod page;
pub mod problems;
pub mod upload;

use crate::report::Reports;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The staff page's state.
#[derive(Debug)]
pub struct Admin {
    /// The staff password.
    pub auth: auth::AdminAuth,
    /// Failed logins per address.
    pub logins: auth::LoginThrottle,
    /// Update bundles uploaded on the page.
    pub uploads: upload::Uploads,
    history: Mutex<history::History>,
}

impl Admin {
    /// With a loaded password, the update upload settings and an empty history.
    pub fn new(auth: auth::AdminAuth, uploads: upload::Uploads) -> Self {
        Self {
            auth,
            logins: auth::LoginThrottle::default(),
            uploads,
            history: Mutex::new(history::History::default()),
        }
    }

    /// The chart history.
    pub fn history(&self) -> MutexGuard<'_, history::History> {
        self.history.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Samples the figures into the history every [`history::SAMPLE_SECS`] until `shutdown`.
pub async fn sample(admin: Arc<Admin>, reports: Arc<Reports>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(history::SAMPLE_SECS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        let (t, now) = (reports.uptime_secs(), reports.snapshot());
        admin.history().record(t, &now);
    }
}

/// The lines printed on the console at start: where the staff page is and how to log in.
pub fn console_banner(admin: &Admin, url: &str) -> String {
    console_banner_for(admin, url, true)
}

/// The banner; without the password when `show_password` is false (stdout is the journal).
pub fn console_banner_for(admin: &Admin, url: &str, show_password: bool) -> String {
    if !show_password {
        let kept = match &admin.auth.source {
            auth::PasswordSource::File(p) => format!(" (kept in {})", p.display()),
            _ => String::new(),
        };
        return format!(
            "Staff page: {url}admin  user: {}  password: not shown in the journal{kept}\n",
            auth::USER
        );
    }
    let how = match &admin.auth.source {
        auth::PasswordSource::Config => "the password set in admin.password".to_owned(),
        auth::PasswordSource::Environment => "the password in VENUEBOX_ADMIN_PASSWORD".to_owned(),
        auth::PasswordSource::File(p) => format!("password {} (kept in {})", admin.auth.reveal(), p.display()),
        auth::PasswordSource::Ephemeral => format!("password {} (until restart)", admin.auth.reveal()),
    };
    format!("Staff page: {url}admin  user: {}  {how}\n", auth::USER)
}
