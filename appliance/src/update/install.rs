//! `venuebox update <bundle>`: runs `rauc install`, passes its progress on line by line
//! (console, and a status file the staff page reads), and names a failure in a typed error.
//! RAUC checks the bundle's signature against the box's keyring before it writes anything.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// Why an update did not install.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The bundle file is not there (or not a file).
    #[error("no bundle file at {0}")]
    NoBundle(PathBuf),
    /// `rauc` could not be started (not installed, not executable).
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program that was run.
        program: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// `rauc install` ended with a failure: a bad signature, the wrong box, a write error.
    #[error("the update was not installed: {reason} (rauc exit status {status})")]
    Refused {
        /// rauc's exit status (-1: killed by a signal).
        status: i32,
        /// rauc's own explanation (its last error line).
        reason: String,
    },
}

/// Installs `bundle` with `rauc install` (the program `rauc`, normally "rauc"), handing every
/// line rauc prints to `line`.
pub fn install(rauc: &OsStr, bundle: &Path, line: &mut dyn FnMut(&str)) -> Result<(), UpdateError> {
    if !bundle.is_file() {
        return Err(UpdateError::NoBundle(bundle.to_owned()));
    }
    let mut child = Command::new(rauc)
        .arg("install")
        .arg(bundle)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| UpdateError::Spawn {
            program: rauc.to_string_lossy().into_owned(),
            source,
        })?;
    let (tx, rx) = mpsc::channel();
    let readers = [
        forward_lines(
            child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
            tx.clone(),
        ),
        forward_lines(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>), tx),
    ];
    let mut seen = Vec::new();
    for text in rx {
        line(&text);
        seen.push(text);
    }
    for r in readers.into_iter().flatten() {
        let _ = r.join();
    }
    let status = child.wait().map_err(|source| UpdateError::Spawn {
        program: rauc.to_string_lossy().into_owned(),
        source,
    })?;
    if status.success() {
        return Ok(());
    }
    Err(UpdateError::Refused {
        status: status.code().unwrap_or(-1),
        reason: failure_reason(&seen),
    })
}

/// Sends each line of `from` to `tx` from a thread of its own.
fn forward_lines(from: Option<Box<dyn Read + Send>>, tx: mpsc::Sender<String>) -> Option<std::thread::JoinHandle<()>> {
    let from = from?;
    Some(std::thread::spawn(move || {
        for text in BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(text).is_err() {
                return;
            }
        }
    }))
}

/// rauc's explanation of a failure: its `LastError:` line when it printed one, else the last
/// line mentioning an error or failure, else its last line.
pub fn failure_reason(lines: &[String]) -> String {
    let trimmed: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    if let Some(last) = trimmed.iter().rev().find_map(|l| l.strip_prefix("LastError:")) {
        return last.trim().to_owned();
    }
    let says_failure = |l: &&&str| {
        let lower = l.to_ascii_lowercase();
        lower.contains("error") || lower.contains("fail")
    };
    trimmed
        .iter()
        .rev()
        .find(says_failure)
        .or(trimmed.last())
        .map_or("rauc printed nothing", |l| l)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::failure_reason;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_last_error_line_is_the_reason() {
        let out = lines(&[
            "installing `/data/update/bundle.raucb`: started",
            "LastError: Failed to check bundle: signature verification failed",
            "installing `/data/update/bundle.raucb`: failed",
        ]);
        assert_eq!(
            failure_reason(&out),
            "Failed to check bundle: signature verification failed"
        );
    }

    #[test]
    fn without_last_error_the_last_failure_line_counts() {
        let out = lines(&["step 1", "Compatible mismatch: failed", "done", ""]);
        assert_eq!(failure_reason(&out), "Compatible mismatch: failed");
        assert_eq!(failure_reason(&lines(&["only line"])), "only line");
        assert_eq!(failure_reason(&[]), "rauc printed nothing");
    }
}
