//! R2 credentials: from `VENUEBOX_R2_ACCESS_KEY_ID` + `VENUEBOX_R2_SECRET_ACCESS_KEY`, or from a
//! file that only its owner can read. The secret never appears in `Debug`, logs or errors.

use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable of the access key ID.
pub const ENV_ACCESS_KEY_ID: &str = "VENUEBOX_R2_ACCESS_KEY_ID";
/// Environment variable of the secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "VENUEBOX_R2_SECRET_ACCESS_KEY";

/// A string that prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key ID (not secret, but kept out of logs too).
    pub access_key_id: Secret,
    /// Secret access key.
    pub secret_access_key: Secret,
}

/// Why no credentials could be loaded. Messages name variables and files, never values.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Only one of the two variables is set.
    #[error("{set} is set but {missing} is not; set both or neither")]
    HalfSet {
        /// The variable that is set.
        set: &'static str,
        /// The one that is missing.
        missing: &'static str,
    },
    /// No variables and the file cannot be read.
    #[error(
        "no credentials: set {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY}, or create {path} (mode 0600): {source}"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// Group or others may read the file.
    #[error("credentials file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not `access_key_id = "..."` and `secret_access_key = "..."` (its content is not
    /// echoed: it is secret).
    #[error("credentials file {path} must hold exactly access_key_id = \"...\" and secret_access_key = \"...\"")]
    Format {
        /// The file.
        path: PathBuf,
    },
}

/// Loads credentials: both variables from `env` if set, else the file.
pub fn load(env: impl Fn(&str) -> Option<String>, file: &Path) -> Result<Credentials, CredentialsError> {
    let id = env(ENV_ACCESS_KEY_ID).filter(|v| !v.is_empty());
    let secret = env(ENV_SECRET_ACCESS_KEY).filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Credentials {
            access_key_id: Secret(id),
            secret_access_key: Secret(secret),
        }),
        (Some(_), None) => Err(CredentialsError::HalfSet {
            set: ENV_ACCESS_KEY_ID,
            missing: ENV_SECRET_ACCESS_KEY,
        }),
        (None, Some(_)) => Err(CredentialsError::HalfSet {
            set: ENV_SECRET_ACCESS_KEY,
            missing: ENV_ACCESS_KEY_ID,
        }),
        (None, None) => from_file(file),
    }
}

/// Loads credentials from the process environment or the file.
pub fn load_from_process(file: &Path) -> Result<Credentials, CredentialsError> {
    load(|k| std::env::var(k).ok(), file)
}

fn from_file(path: &Path) -> Result<Credentials, CredentialsError> {
    use std::os::unix::fs::PermissionsExt as _;
    let read_err = |source| CredentialsError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    parse(&text).ok_or_else(|| CredentialsError::Format { path: path.to_owned() })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    access_key_id: String,
    secret_access_key: String,
}

fn parse(text: &str) -> Option<Credentials> {
    let f: FileFormat = toml::from_str(text).ok()?;
    (!f.access_key_id.is_empty() && !f.secret_access_key.is_empty()).then_some(Credentials {
        access_key_id: Secret(f.access_key_id),
        secret_access_key: Secret(f.secret_access_key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let p = dir.join("creds.toml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn environment_wins_and_must_be_complete() {
        let both = |k: &str| Some(format!("value-of-{k}"));
        let c = load(both, Path::new("/nonexistent")).unwrap();
        assert_eq!(c.access_key_id.expose(), "value-of-VENUEBOX_R2_ACCESS_KEY_ID");
        let half = |k: &str| (k == ENV_SECRET_ACCESS_KEY).then(|| "s3cr3t".to_owned());
        let e = load(half, Path::new("/nonexistent")).unwrap_err().to_string();
        assert!(e.contains(ENV_ACCESS_KEY_ID) && !e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn file_must_be_private_and_well_formed() {
        let dir = tempfile::tempdir().unwrap();
        let good = "access_key_id = \"AKID\"\nsecret_access_key = \"s3cr3t\"\n";
        let p = write(dir.path(), good, 0o600);
        let c = load(no_env, &p).unwrap();
        assert_eq!(
            (c.access_key_id.expose(), c.secret_access_key.expose()),
            ("AKID", "s3cr3t")
        );
        let p = write(dir.path(), good, 0o644);
        let e = load(no_env, &p).unwrap_err().to_string();
        assert!(e.contains("644") && e.contains("chmod 600"), "{e}");
        let p = write(dir.path(), "secret_access_key = \"s3cr3t\"\nextra = 1\n", 0o600);
        let e = load(no_env, &p).unwrap_err().to_string();
        assert!(e.contains("must hold") && !e.contains("s3cr3t"), "{e}");
        let e = load(no_env, &dir.path().join("missing")).unwrap_err().to_string();
        assert!(e.contains("no credentials") && e.contains(ENV_ACCESS_KEY_ID), "{e}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = load(|_| Some("hunter2".to_owned()), Path::new("/x")).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
