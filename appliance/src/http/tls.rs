//! The HTTPS listener's certificate: the configured one (`http.tls_cert`, `http.tls_key`) or a
//! self-signed one for the box's addresses and mDNS name, made at first start in the state
//! folder (key mode 0600) and made again before it expires or when it does not cover them. Its
//! SHA-256 fingerprint goes on the console beside the staff password, so staff can check what
//! their browser shows.

use crate::atomic_file;
use crate::config::HttpConfig;
use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Certificate file of a generated certificate, in the state folder.
pub const CERT_FILE: &str = "tls-cert.pem";
/// Its private key (mode 0600).
pub const KEY_FILE: &str = "tls-key.pem";
/// The certificate's fingerprint as the console shows it, for the image's boot banner.
pub const FINGERPRINT_FILE: &str = "tls-cert.sha256";
/// What it was made for: its names and its expiry (Unix seconds), one per line.
pub const INFO_FILE: &str = "tls-cert.info";
/// Lifetime of a generated certificate.
pub const LIFETIME: Duration = Duration::from_secs(397 * 86_400);
/// A generated certificate is made again when it has less than this left.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 86_400);

/// The listener's TLS setup.
pub struct Tls {
    /// For the acceptor (ALPN: HTTP/1.1 only); its certificate comes from `certs`.
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate in use, replaced when the box's names change.
    pub certs: Arc<CertStore>,
}

/// The certificate the listener presents: swapped in place when the box's names change, so
/// the HTTPS listener keeps running.
#[derive(Debug)]
pub struct CertStore {
    current: std::sync::RwLock<(Arc<rustls::sign::CertifiedKey>, String, Vec<String>)>,
    generated: bool,
}

impl CertStore {
    /// SHA-256 of the certificate in use (`AB:CD:...`).
    pub fn fingerprint(&self) -> String {
        self.current.read().unwrap_or_else(|p| p.into_inner()).1.clone()
    }

    /// Makes a new certificate when `names` are not all covered by the current one
    /// (generated certificates only); returns its fingerprint when it did.
    pub fn refresh(&self, state_dir: &Path, names: &[String]) -> anyhow::Result<Option<String>> {
        if !self.generated || covers(&self.current.read().unwrap_or_else(|p| p.into_inner()).2, names) {
            return Ok(None);
        }
        let (pair, covered) = generated(state_dir, names)?;
        let (key, print) = certified(pair, state_dir)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (key, print.clone(), covered);
        Ok(Some(print))
    }
}

impl rustls::server::ResolvesServerCert for CertStore {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|p| p.into_inner()).0.clone())
    }
}

/// The names a generated certificate covers: `localhost`, `<hostname>.local`, loopback and
/// the box's IPv4 addresses.
pub fn box_names(hostname: &str) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        format!("{hostname}.local"),
        "127.0.0.1".to_owned(),
    ];
    for a in crate::discovery::addrs::system_ipv4() {
        let ip = a.ip.to_string();
        if !names.contains(&ip) {
            names.push(ip);
        }
    }
    names
}

/// Loads the configured certificate, or the generated one in `state_dir` (made or renewed as
/// needed for `names`).
pub fn load(http: &HttpConfig, state_dir: &Path, names: &[String]) -> anyhow::Result<Tls> {
    let generated_here = http.tls_cert.as_os_str().is_empty();
    let (pair, covered) = if generated_here {
        generated(state_dir, names)?
    } else {
        (read_pem(&http.tls_cert, &http.tls_key)?, names.to_vec())
    };
    let (key, print) = certified(pair, state_dir)?;
    let certs = Arc::new(CertStore {
        current: std::sync::RwLock::new((key, print, covered)),
        generated: generated_here,
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(certs.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        certs,
    })
}

/// The pair as rustls signs with it, and its fingerprint (also written for the boot banner).
fn certified(pair: Pair, state_dir: &Path) -> anyhow::Result<(Arc<rustls::sign::CertifiedKey>, String)> {
    let (chain, key) = pair;
    let print = fingerprint(chain.first().context("the certificate file holds no certificate")?);
    if let Err(e) = atomic_file::write(
        &state_dir.join(FINGERPRINT_FILE),
        format!("{print}\n").as_bytes(),
        0o644,
    ) {
        tracing::debug!(error = %e, "cannot keep the certificate fingerprint for the banner");
    }
    let provider = rustls::crypto::ring::default_provider();
    let key = rustls::sign::CertifiedKey::from_der(chain, key, &provider).context("certificate and key do not fit")?;
    Ok((Arc::new(key), print))
}

/// SHA-256 of a DER certificate as `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

type Pair = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn read_pem(cert: &Path, key: &Path) -> anyhow::Result<Pair> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("bad PEM in {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("cannot read key {}", key.display()))?;
    Ok((chain, key))
}

/// Whether a certificate for `covered` names every one of `names`.
fn covers(covered: &[String], names: &[String]) -> bool {
    names.iter().all(|n| covered.contains(n))
}

/// The kept generated pair if it still serves `names`, else a new one; with the names it covers.
fn generated(dir: &Path, names: &[String]) -> anyhow::Result<(Pair, Vec<String>)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let wanted = names.join("\n");
    if let Some(kept) = still_good(dir, names, now) {
        return Ok(kept);
    }
    tracing::info!(names = %names.join(","), "making a self-signed HTTPS certificate");
    let expires = now + LIFETIME;
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names.get(1).cloned().unwrap_or_default());
    let ymd = |(y, m, d)| rcgen::date_time_ymd(y, m, d);
    params.not_before = ymd(day(now.saturating_sub(Duration::from_secs(86_400))));
    params.not_after = ymd(day(expires));
    let pair = rcgen::KeyPair::generate()?;
    let made = params.self_signed(&pair)?;
    let info = format!("{wanted}\n{}\n", expires.as_secs());
    if let Err(e) = keep(dir, &pair.serialize_pem(), &made.pem(), &info) {
        tracing::warn!(dir = %dir.display(), error = %e,
            "cannot keep the HTTPS certificate; using one valid until restart");
    }
    let key = PrivateKeyDer::try_from(pair.serialize_der()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(((vec![made.der().clone()], key), names.to_vec()))
}

/// The kept pair and its names if they cover `names` (an address the box has lost does not
/// matter: the box starts before DHCP, and the same certificate comes back with the lease), it
/// is not due for renewal and its key fits its certificate (a power cut between writing the
/// key and the certificate leaves a new key beside the old certificate: then a new pair is made).
fn still_good(dir: &Path, names: &[String], now: Duration) -> Option<(Pair, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join(INFO_FILE)).ok()?;
    let (made_for, expires) = text.trim_end().rsplit_once('\n')?;
    let expires = Duration::from_secs(expires.parse().unwrap_or(0));
    let covered: Vec<String> = made_for.lines().map(str::to_owned).collect();
    if !covers(&covered, names) || now + RENEW_BEFORE >= expires {
        return None;
    }
    let (chain, key) = read_pem(&dir.join(CERT_FILE), &dir.join(KEY_FILE)).ok()?;
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider).ok()?;
    Some(((chain, key), covered))
}

/// Writes key (0600), certificate and, last, what they were made for, each atomically: the
/// info file names a pair only once both halves are on disk.
fn keep(dir: &Path, key_pem: &str, cert_pem: &str, info: &str) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    atomic_file::write(&dir.join(KEY_FILE), key_pem.as_bytes(), 0o600)?;
    atomic_file::write(&dir.join(CERT_FILE), cert_pem.as_bytes(), 0o644)?;
    atomic_file::write(&dir.join(INFO_FILE), info.as_bytes(), 0o644)
}

/// The calendar day of a Unix time (days-to-civil, proleptic Gregorian).
fn day(t: Duration) -> (i32, u8, u8) {
    let z = (t.as_secs() / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn names(extra: &str) -> Vec<String> {
        vec!["localhost".into(), "venuebox.local".into(), extra.into()]
    }

    #[test]
    fn a_generated_certificate_is_kept_private_and_made_again_when_names_change() {
        let dir = tempfile::tempdir().unwrap();
        let http = HttpConfig::default();
        let a = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        assert_eq!(a.certs.fingerprint(), again.certs.fingerprint(), "kept across restarts");
        let moved = load(&http, dir.path(), &names("10.0.0.6")).unwrap();
        assert_ne!(
            a.certs.fingerprint(),
            moved.certs.fingerprint(),
            "a new address, a new certificate"
        );
        assert_eq!(a.certs.fingerprint().len(), 32 * 3 - 1);
    }

    #[test]
    fn a_certificate_close_to_expiry_is_renewed() {
        let dir = tempfile::tempdir().unwrap();
        let http = HttpConfig::default();
        let a = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        let soon = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(86_400);
        let info = format!("{}\n{}\n", names("10.0.0.5").join("\n"), soon.as_secs());
        std::fs::write(dir.path().join(INFO_FILE), info).unwrap();
        let b = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        assert_ne!(a.certs.fingerprint(), b.certs.fingerprint());
    }

    #[test]
    fn a_lost_address_keeps_the_certificate_and_a_new_one_renews_it() {
        let dir = tempfile::tempdir().unwrap();
        let http = HttpConfig::default();
        let with_ip = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        let before_dhcp = load(&http, dir.path(), &names("10.0.0.5")[..2]).unwrap();
        assert_eq!(with_ip.certs.fingerprint(), before_dhcp.certs.fingerprint());
        assert_eq!(before_dhcp.certs.refresh(dir.path(), &names("10.0.0.5")).unwrap(), None);
        let other = before_dhcp.certs.refresh(dir.path(), &names("10.0.0.6")).unwrap();
        assert_ne!(other, None, "an address it does not cover makes a new certificate");
    }

    #[test]
    fn a_new_key_beside_the_old_certificate_makes_a_new_pair() {
        // What a power cut between writing the key and the certificate leaves behind.
        let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let http = HttpConfig::default();
        let a = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        load(&http, other.path(), &names("10.0.0.5")).unwrap();
        std::fs::copy(other.path().join(KEY_FILE), dir.path().join(KEY_FILE)).unwrap();
        let b = load(&http, dir.path(), &names("10.0.0.5")).expect("the box still starts");
        assert_ne!(a.certs.fingerprint(), b.certs.fingerprint());
        let c = load(&http, dir.path(), &names("10.0.0.5")).unwrap();
        assert_eq!(b.certs.fingerprint(), c.certs.fingerprint(), "the new pair is kept");
    }

    #[test]
    fn a_running_listener_takes_a_new_certificate_when_the_names_change() {
        let dir = tempfile::tempdir().unwrap();
        let tls = load(&HttpConfig::default(), dir.path(), &names("10.0.0.5")).unwrap();
        let before = tls.certs.fingerprint();
        assert_eq!(tls.certs.refresh(dir.path(), &names("10.0.0.5")).unwrap(), None);
        let after = tls.certs.refresh(dir.path(), &names("10.0.0.7")).unwrap().unwrap();
        assert_ne!(before, after);
        assert_eq!(tls.certs.fingerprint(), after);
        let file = std::fs::read_to_string(dir.path().join(FINGERPRINT_FILE)).unwrap();
        assert_eq!(file.trim(), after, "the banner's file follows");
    }

    #[test]
    fn civil_days_are_right() {
        assert_eq!(day(Duration::ZERO), (1970, 1, 1));
        assert_eq!(day(Duration::from_secs(1_772_236_800)), (2026, 2, 28));
        assert_eq!(day(Duration::from_secs(1_772_323_200)), (2026, 3, 1));
    }
}
