//! Files on /data replaced whole or not at all, so a power cut leaves the old content or the new.
//!
//! The contract: the new bytes go to a temporary file in the target's own directory (same file
//! system, so the rename is atomic), which gets its permissions before it is written, is synced,
//! then renamed over the target; the directory is synced last so the rename itself survives.
//! A cut at any point leaves the target as it was or as written, never empty or torn; at worst
//! a temporary `.<name>.*` file stays behind, which the next write of that name removes.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Replaces `path` with `data`, with permission bits `mode` (e.g. 0o600 for a key).
pub fn write(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = temp_prefix(path)?;
    remove_leftovers(dir, &prefix);
    let mut tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

/// `.<file name>.`: the temporary files of one target share it.
fn temp_prefix(path: &Path) -> std::io::Result<String> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"))?;
    Ok(format!(".{}.", name.to_string_lossy()))
}

/// Removes temporary files a cut left behind for this target (best effort).
fn remove_leftovers(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_content_with_the_mode_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, b"old").unwrap();
        write(&path, b"new key", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new key");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        write(&path, b"public", 0o644).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(names(dir.path()), ["key.pem"]);
    }

    #[test]
    fn a_reader_of_the_old_file_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        write(&path, b"first", 0o644).unwrap();
        let before = std::fs::File::open(&path).unwrap();
        write(&path, b"second, longer", 0o644).unwrap();
        let old = std::io::read_to_string(before).unwrap();
        assert_eq!(old, "first", "the old inode is replaced, not rewritten in place");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second, longer");
    }

    #[test]
    fn leftovers_of_a_cut_are_removed_and_other_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-password");
        std::fs::write(dir.path().join(".admin-password.Xy12ab"), b"half").unwrap();
        std::fs::write(dir.path().join(".other.Xy12ab"), b"not ours").unwrap();
        write(&path, b"pw\n", 0o600).unwrap();
        assert_eq!(names(dir.path()), [".other.Xy12ab", "admin-password"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent/file");
        assert!(write(&path, b"x", 0o600).is_err());
        assert!(names(dir.path()).is_empty());
    }
}
