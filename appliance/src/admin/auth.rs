//! The staff password: from the configuration, the environment, or generated once and kept in a
//! 0600 file; checked with HTTP Basic in constant time. The password never reaches a log.

use crate::config::AdminConfig;
use base64::Engine as _;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;

/// The user name staff log in with.
pub const USER: &str = "staff";
/// The file under `admin.state_dir` that keeps a generated password.
pub const PASSWORD_FILE: &str = "admin-password";
/// Characters of generated passwords (no look-alikes such as 0/O, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a generated password (about 79 bits).
const GENERATED_LEN: usize = 16;

/// Where the password came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// `admin.password` in the configuration.
    Config,
    /// `VENUEBOX_ADMIN_PASSWORD`.
    Environment,
    /// Generated now or earlier and kept in this file.
    File(PathBuf),
    /// Generated now; the file could not be written, so it lasts until restart.
    Ephemeral,
}

/// The staff password.
pub struct AdminAuth {
    password: String,
    /// Where it came from.
    pub source: PasswordSource,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAuth")
            .field("password", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

impl AdminAuth {
    /// The environment wins, then the configuration, then the password file (created with a
    /// fresh password at first start).
    pub fn load(config: &AdminConfig, env_password: Option<String>) -> Self {
        if let Some(p) = env_password.filter(|p| !p.is_empty()) {
            return Self::fixed(p, PasswordSource::Environment);
        }
        if !config.password.is_empty() {
            return Self::fixed(config.password.clone(), PasswordSource::Config);
        }
        match read_or_create(&config.state_dir) {
            Ok((password, path)) => Self::fixed(password, PasswordSource::File(path)),
            Err(e) => {
                tracing::warn!(dir = %config.state_dir.display(), error = %e,
                    "cannot keep the staff password; using one valid until restart");
                Self::fixed(generate(), PasswordSource::Ephemeral)
            }
        }
    }

    fn fixed(password: String, source: PasswordSource) -> Self {
        Self { password, source }
    }

    /// The password, for the console banner only.
    pub fn reveal(&self) -> &str {
        &self.password
    }

    /// Does this `Authorization` header value carry the staff credentials?
    pub fn check(&self, authorization: Option<&[u8]>) -> bool {
        let Some(creds) = authorization.and_then(|h| h.strip_prefix(b"Basic ")) else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(creds.trim_ascii()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return false;
        };
        let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
        let user_ok = user.ct_eq(USER.as_bytes());
        let pass_ok = pass.ct_eq(self.password.as_bytes());
        (user_ok & pass_ok).into()
    }
}

/// Wrong passwords one address may send within [`FAILURE_WINDOW`]; further attempts are
/// refused unchecked until the oldest failure is that old.
pub const MAX_FAILURES: usize = 10;
/// The window failed logins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once; beyond, the one with the oldest last failure is forgotten.
const MAX_TRACKED: usize = 4096;

/// Failed staff logins per address (time is an input: every call takes `now`).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// May `ip` try a password now?
    pub fn allowed(&self, ip: IpAddr, now: Instant) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = map.get_mut(&ip) else {
            return true;
        };
        while times.front().is_some_and(|&t| now.duration_since(t) >= FAILURE_WINDOW) {
            times.pop_front();
        }
        if times.is_empty() {
            map.remove(&ip);
            return true;
        }
        times.len() < MAX_FAILURES
    }

    /// Counts a wrong password from `ip`.
    pub fn failed(&self, ip: IpAddr, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            map.retain(|_, t| t.back().is_some_and(|&last| now.duration_since(last) < FAILURE_WINDOW));
            if map.len() >= MAX_TRACKED {
                let oldest = map.iter().min_by_key(|(_, t)| t.back().copied()).map(|(k, _)| *k);
                oldest.map(|k| map.remove(&k));
            }
        }
        let times = map.entry(ip).or_default();
        times.push_back(now);
        if times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }
}

/// A fresh random password.
pub fn generate() -> String {
    let mut out = String::with_capacity(GENERATED_LEN);
    let mut buf = [0u8; 64];
    while out.len() < GENERATED_LEN {
        getrandom::fill(&mut buf).expect("the OS random source works");
        // Rejection sampling keeps every character equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for b in buf.iter().filter(|&&b| b < limit) {
            if out.len() < GENERATED_LEN {
                out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

fn read_or_create(dir: &Path) -> std::io::Result<(String, PathBuf)> {
    let path = dir.join(PASSWORD_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            let mode = std::fs::metadata(&path)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                tracing::warn!(file = %path.display(), "staff password file was readable by others; now 0600");
            }
            return Ok((text.trim().to_owned(), path));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let password = generate();
    crate::atomic_file::write(&path, format!("{password}\n").as_bytes(), 0o600)?;
    Ok((password, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pass: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
        .into_bytes()
    }

    #[test]
    fn generated_password_is_kept_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = AdminConfig {
            password: String::new(),
            state_dir: dir.path().join("state"),
            ..AdminConfig::default()
        };
        let a = AdminAuth::load(&config, None);
        let PasswordSource::File(path) = &a.source else {
            panic!("{:?}", a.source)
        };
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(a.reveal().len(), GENERATED_LEN);
        let b = AdminAuth::load(&config, None);
        assert_eq!(a.reveal(), b.reveal(), "the same password after a restart");
        assert!(!format!("{a:?}").contains(a.reveal()));
    }

    #[test]
    fn environment_wins_then_config() {
        let config = AdminConfig {
            password: "from-config".into(),
            state_dir: "/nonexistent".into(),
            ..AdminConfig::default()
        };
        assert_eq!(AdminAuth::load(&config, Some("from-env".into())).reveal(), "from-env");
        assert_eq!(AdminAuth::load(&config, None).source, PasswordSource::Config);
    }

    #[test]
    fn basic_auth_checks_user_and_password() {
        let a = AdminAuth::fixed("s3cret:x".into(), PasswordSource::Config);
        assert!(a.check(Some(&basic("staff", "s3cret:x"))));
        assert!(!a.check(Some(&basic("staff", "s3cret"))));
        assert!(!a.check(Some(&basic("admin", "s3cret:x"))));
        assert!(!a.check(Some(b"Basic !!!")));
        assert!(!a.check(Some(b"Bearer abc")));
        assert!(!a.check(None));
    }

    #[test]
    fn the_eleventh_wrong_password_within_a_minute_is_refused() {
        let throttle = LoginThrottle::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES as u64 {
            assert!(throttle.allowed(a, t0 + Duration::from_secs(i)), "attempt {}", i + 1);
            throttle.failed(a, t0 + Duration::from_secs(i));
        }
        assert!(
            !throttle.allowed(a, t0 + Duration::from_secs(30)),
            "the 11th within a minute"
        );
        assert!(
            throttle.allowed(b, t0 + Duration::from_secs(30)),
            "another address is not affected"
        );
        assert!(
            throttle.allowed(a, t0 + Duration::from_secs(60)),
            "a minute after the first failure"
        );
    }

    #[test]
    fn generated_passwords_differ_and_use_the_alphabet() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
    }
}
