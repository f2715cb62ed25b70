//! The service's own use of what its systemd unit limits: open files, threads, resident memory.
//!
//! Read from `/proc/self` at every report, so `/metrics` shows how far the process is from the
//! unit's `LimitNOFILE`, `TasksMax` and `MemoryMax` (decision 0305).

use super::Figure;

/// The process figures: `process_open_fds`, `process_threads`, `process_resident_memory_bytes`.
pub fn figures() -> Vec<Figure> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    vec![
        Figure::maybe(
            "process_open_fds",
            "Open file descriptors of the service (sockets included).",
            open_fds(),
            -1.0,
        )
        .at("process/open_fds"),
        Figure::maybe(
            "process_threads",
            "Threads of the service (the unit's TasksMax counts them).",
            field_kib(&status, "Threads:"),
            -1.0,
        )
        .at("process/threads"),
        Figure::maybe(
            "process_resident_memory_bytes",
            "Resident memory of the service (VmRSS).",
            field_kib(&status, "VmRSS:").map(|kib| kib * 1024.0),
            -1.0,
        )
        .at("process/resident_memory_bytes"),
    ]
}

/// Entries of `/proc/self/fd` (the directory handle of the listing itself left out).
fn open_fds() -> Option<f64> {
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some(n.saturating_sub(1) as f64)
}

/// The number after `name` in `/proc/self/status` (`VmRSS:  1234 kB` gives 1234).
fn field_kib(status: &str, name: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Other tests of this binary run beside these and open and close files and threads too:
    // each check holds many more than it asks to see.

    fn get(name: &str) -> f64 {
        figures().into_iter().find(|f| f.name == name).unwrap().value
    }

    #[test]
    fn held_files_show_up_as_open_fds() {
        let before = get("process_open_fds");
        let held: Vec<std::fs::File> = (0..100).map(|_| tempfile::tempfile().unwrap()).collect();
        let during = get("process_open_fds");
        assert!(during >= before + 50.0, "{before} -> {during}");
        drop(held);
    }

    #[test]
    fn running_threads_show_up() {
        let before = get("process_threads");
        let (stop, wait) = std::sync::mpsc::channel::<()>();
        let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
        let extra: Vec<_> = (0..64)
            .map(|_| {
                let wait = wait.clone();
                std::thread::spawn(move || {
                    let _ = wait.lock().map(|w| w.recv());
                })
            })
            .collect();
        let during = get("process_threads");
        assert!(during >= before + 32.0, "{before} -> {during}");
        drop(stop);
        extra.into_iter().for_each(|t| t.join().unwrap());
    }

    #[test]
    fn touched_memory_shows_up_as_resident() {
        let before = get("process_resident_memory_bytes");
        assert!(before > 1e6, "{before}");
        let block = vec![1u8; 64 << 20];
        let during = get("process_resident_memory_bytes");
        assert!(during >= before + 32e6, "{before} -> {during}");
        assert_eq!(block[12345], 1);
    }
}
