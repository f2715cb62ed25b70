//! `venuebox uplink-check`: writes, reads back and deletes a probe object with the configured
//! credentials, and explains each kind of failure in words a venue technician can act on.

use super::credentials::{self, ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY};
use super::keys;
use super::s3::S3Store;
use super::store::{ObjectStore, PutRequest, StoreError};
use crate::config::UplinkConfig;
use bytes::Bytes;
use std::io::Write;
use std::time::Instant;

/// A failed check, with a message that says what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckFailed(pub String);

/// Runs the check, printing each step to `out`.
pub async fn run(cfg: &UplinkConfig, out: &mut impl Write) -> Result<(), CheckFailed> {
    let Some(endpoint) = cfg.endpoint_url() else {
        return Err(CheckFailed(format!(
            "uplink.endpoint {:?} is not an http(s) URL; for R2 use https://<account id>.r2.cloudflarestorage.com (or --endpoint)",
            cfg.endpoint
        )));
    };
    if cfg.bucket.is_empty() {
        return Err(CheckFailed("no bucket: set uplink.bucket (or --bucket)".into()));
    }
    let creds = credentials::load_from_process(&cfg.credentials_file).map_err(|e| CheckFailed(e.to_string()))?;
    let _ = writeln!(out, "credentials: loaded (access key ID and secret not shown)");
    let store = S3Store::new(cfg, &creds).map_err(|e| CheckFailed(e.to_string()))?;
    let host = endpoint.host_str().unwrap_or("?").to_owned();
    let ctx = Context { cfg, host: &host };
    store
        .probe_bucket(&cfg.prefix)
        .await
        .map_err(|e| ctx.explain("listing the bucket before writing", &e))?;
    let _ = writeln!(out, "bucket {}: exists and may be listed", cfg.bucket);
    let key = keys::viewer(&cfg.prefix, keys::CHECK_PROBE);
    let body = Bytes::from(format!("venuebox uplink-check {:?}\n", std::time::SystemTime::now()));
    let started = Instant::now();
    let probe = PutRequest {
        key: key.clone(),
        body: body.clone(),
        content_type: "text/plain; charset=utf-8",
        cache_control: keys::CACHE_PLAYLIST,
    };
    store
        .put(probe)
        .await
        .map_err(|e| ctx.explain("writing the probe object", &e))?;
    let _ = writeln!(
        out,
        "write {}/{key}: ok ({} ms)",
        cfg.bucket,
        started.elapsed().as_millis()
    );
    let read = store
        .get(&key)
        .await
        .map_err(|e| ctx.explain("reading the probe object back", &e))?;
    if read != body {
        return Err(CheckFailed(format!(
            "the probe object read back from {host} differs from what was written ({} vs {} bytes)",
            read.len(),
            body.len()
        )));
    }
    let _ = writeln!(out, "read back: ok, content matches");
    store
        .delete(&key)
        .await
        .map_err(|e| ctx.explain("deleting the probe object", &e))?;
    let _ = writeln!(out, "delete: ok");
    let _ = writeln!(
        out,
        "uplink OK; viewers will play {}",
        cfg.public_url(super::keys::PLAYLIST)
    );
    Ok(())
}

struct Context<'a> {
    cfg: &'a UplinkConfig,
    host: &'a str,
}

impl Context<'_> {
    /// Turns a request failure into advice.
    fn explain(&self, step: &str, e: &StoreError) -> CheckFailed {
        let (host, bucket) = (self.host, &self.cfg.bucket);
        let file = self.cfg.credentials_file.display();
        let advice = match e {
            StoreError::Connect(r) => format!(
                "cannot connect to {host}: {r}. Check uplink.endpoint (R2: https://<account id>.r2.cloudflarestorage.com) and that the box reaches the internet"
            ),
            StoreError::Tls(r) => format!(
                "TLS with {host} failed: {r}. Its certificate is not trusted; for a private CA set uplink.ca_file"
            ),
            StoreError::Timeout(ms) => format!("{host} did not answer within {ms} ms (uplink.request_timeout_ms)"),
            StoreError::Transport(r) => format!("the connection to {host} broke: {r}"),
            StoreError::Denied { code, .. } if code == "InvalidAccessKeyId" || code == "NotSignedUp" => format!(
                "{host} does not know this access key ID ({code}): check {ENV_ACCESS_KEY_ID} or access_key_id in {file}"
            ),
            StoreError::Denied { code, .. } if code == "SignatureDoesNotMatch" => format!(
                "the secret access key is wrong (SignatureDoesNotMatch): check {ENV_SECRET_ACCESS_KEY} or secret_access_key in {file}, and that the box's clock is right"
            ),
            StoreError::Denied { code, message } => format!(
                "access denied ({code}{}): the key may not write to bucket {bucket}; give its API token Object Read & Write on it",
                if message.is_empty() { String::new() } else { format!(": {message}") }
            ),
            StoreError::NoSuchBucket => format!(
                "bucket {bucket} does not exist at {host}: create it (Cloudflare dashboard, R2) or fix uplink.bucket"
            ),
            StoreError::NotFound => format!("the probe object just written is missing at {host} (HTTP 404)"),
            StoreError::Status { status, code } if *status >= 500 => format!(
                "{host} answered HTTP {status} ({code}): a problem on the server's side; try again later"
            ),
            StoreError::Status { status, code } => format!("{host} answered HTTP {status} ({code})"),
        };
        CheckFailed(format!("{step} failed: {advice}"))
    }
}
