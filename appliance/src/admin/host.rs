//! What the box's host says about its limits: the link's speed, free memory and free disk.

use std::path::Path;

/// The fastest wired link that is up, bits/s (`/sys/class/net/<if>/speed`; loopback and links
/// without a speed, such as Wi-Fi, are skipped). A Pi 4's Ethernet says 1 Gbit/s.
pub fn link_capacity_bps() -> Option<f64> {
    let dir = std::fs::read_dir("/sys/class/net").ok()?;
    dir.flatten()
        .filter(|e| e.file_name() != "lo")
        .filter_map(|e| {
            let up = std::fs::read_to_string(e.path().join("operstate")).ok()?;
            if up.trim() != "up" {
                return None;
            }
            let mbps: f64 = std::fs::read_to_string(e.path().join("speed"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            (mbps > 0.0).then_some(mbps * 1e6)
        })
        .reduce(f64::max)
}

/// `MemAvailable` over `MemTotal` from `/proc/meminfo` (0-1).
pub fn memory_available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let (avail, total) = (field("MemAvailable:")?, field("MemTotal:")?);
    (total > 0.0).then(|| avail / total)
}

/// The smallest free share (0-1) of the file systems holding `paths` (those that exist).
pub fn disk_free(paths: &[&Path]) -> Option<f64> {
    paths
        .iter()
        .filter_map(|p| {
            let s = nix::sys::statvfs::statvfs(*p).ok()?;
            let total = s.blocks() as f64;
            (total > 0.0).then(|| s.blocks_available() as f64 / total)
        })
        .reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_host() {
        let mem = memory_available().expect("Linux has /proc/meminfo");
        assert!((0.0..=1.0).contains(&mem));
        let disk = disk_free(&[Path::new("/"), Path::new("/does/not/exist")]).expect("/ exists");
        assert!((0.0..=1.0).contains(&disk));
        if let Some(bps) = link_capacity_bps() {
            assert!(bps >= 1e6, "{bps}");
        }
    }
}
