//! The `update` and `healthz` subcommands: console output, the staff page's status file, the
//! reboot into the new slot, exit codes.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;
use venuebox::update::{healthz::probe, install::install};

/// `venuebox update <bundle>`: 0 when installed (and the reboot asked for), 1 otherwise.
pub fn run(rauc: &Path, bundle: &Path, status: Option<&Path>, reboot: bool) -> ExitCode {
    let mut status_file = match status.map(std::fs::File::create).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("venuebox update: cannot write the status file: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = |text: &str| {
        println!("{text}");
        if let Some(f) = status_file.as_mut() {
            let _ = writeln!(f, "{text}").and_then(|()| f.flush());
        }
    };
    report(&format!("venuebox update: installing {}", bundle.display()));
    if let Err(e) = install(rauc.as_os_str(), bundle, &mut report) {
        report(&format!("result: failed: {e}"));
        eprintln!("venuebox update FAILED: {e}");
        return ExitCode::FAILURE;
    }
    if !reboot {
        report("result: installed; the box starts it at the next reboot (systemctl reboot)");
        return ExitCode::SUCCESS;
    }
    report("result: installed; rebooting into it");
    match std::process::Command::new("systemctl").arg("reboot").status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        other => {
            eprintln!("venuebox update: installed, but `systemctl reboot` failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}

/// `venuebox healthz`: 0 when the service on `listen` answers ok, 1 otherwise.
pub fn healthz(listen: SocketAddr) -> ExitCode {
    match probe(listen, Duration::from_secs(3)) {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("venuebox healthz: {e}");
            ExitCode::FAILURE
        }
    }
}
