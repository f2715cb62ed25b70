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
    let reboot_args = reboot_command(std::fs::read_to_string(REBOOT_ARGUMENT).ok().as_deref());
    let shown = reboot_args
        .iter()
        .map(|a| if a.contains(' ') { format!("\"{a}\"") } else { a.clone() })
        .collect::<Vec<_>>()
        .join(" ");
    if !reboot {
        report(&format!(
            "result: installed; the box starts it at the next reboot ({shown})"
        ));
        return ExitCode::SUCCESS;
    }
    report("result: installed; rebooting into it");
    match std::process::Command::new(&reboot_args[0])
        .args(&reboot_args[1..])
        .status()
    {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        other => {
            eprintln!("venuebox update: installed, but `{shown}` failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}

/// Boards whose boot loader tries a new slot only when asked at reboot put that reboot
/// argument here (the Raspberry Pi: `0 tryboot`, decision 0310); GRUB boards have none.
pub const REBOOT_ARGUMENT: &str = "/usr/lib/venuebox/update-reboot-argument";

/// The command that reboots into the slot just installed, given the board's reboot argument
/// file's text (if any).
fn reboot_command(argument: Option<&str>) -> Vec<String> {
    let mut cmd = vec!["systemctl".to_owned(), "reboot".to_owned()];
    cmd.extend(argument.map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned));
    cmd
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

#[cfg(test)]
mod tests {
    use super::reboot_command;

    #[test]
    fn the_board_s_reboot_argument_is_passed_as_one_argument() {
        assert_eq!(reboot_command(None), ["systemctl", "reboot"]);
        assert_eq!(reboot_command(Some("  \n")), ["systemctl", "reboot"]);
        assert_eq!(
            reboot_command(Some("0 tryboot\n")),
            ["systemctl", "reboot", "0 tryboot"]
        );
    }
}
