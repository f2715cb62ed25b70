//! The real bucket: S3 requests presigned by rusty-s3 (SigV4, path style) and sent with a hyper
//! client over rustls (web PKI roots, or a configured CA file). Signed URLs carry the access key
//! ID and a signature, so they are never logged or put into errors.

use super::credentials::Credentials;
use super::store::{ObjectStore, PutRequest, StoreError};
use crate::config::UplinkConfig;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{Method, Request, Response, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use rusty_s3::{S3Action as _, UrlStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use venuebox_proto::s3_error;

/// Validity of a presigned URL (clock skew between box and bucket must stay below it).
pub const URL_EXPIRY: Duration = Duration::from_secs(600);
/// Largest object `get` reads.
pub const MAX_GET_BYTES: usize = 16 << 20;

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The endpoint or bucket is not usable.
    #[error("uplink.endpoint/bucket: {0}")]
    Target(String),
    /// The CA file could not be read.
    #[error("cannot read uplink.ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

struct Inner {
    client: HttpsClient,
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    timeout: Duration,
}

/// An S3-compatible bucket (Cloudflare R2).
#[derive(Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.inner.bucket.name())
            .finish()
    }
}

impl S3Store {
    /// A client for the configured endpoint and bucket.
    pub fn new(cfg: &UplinkConfig, credentials: &Credentials) -> Result<Self, SetupError> {
        let endpoint = cfg
            .endpoint_url()
            .ok_or_else(|| SetupError::Target(format!("{:?} is not an http(s) URL", cfg.endpoint)))?;
        let bucket = rusty_s3::Bucket::new(endpoint, UrlStyle::Path, cfg.bucket.clone(), cfg.region.clone())
            .map_err(|e| SetupError::Target(e.to_string()))?;
        let tls = tls_config(&cfg.ca_file)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let credentials = rusty_s3::Credentials::new(
            credentials.access_key_id.expose(),
            credentials.secret_access_key.expose(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                bucket,
                credentials,
                timeout: cfg.request_timeout(),
            }),
        })
    }

    /// Lists at most one key under `prefix`: proves that the bucket exists and may be read
    /// (some servers create a missing bucket on the first PUT, so a PUT alone proves neither).
    pub async fn probe_bucket(&self, prefix: &str) -> Result<(), StoreError> {
        let mut action = self.inner.bucket.list_objects_v2(Some(&self.inner.credentials));
        action.with_prefix(prefix);
        action.with_max_keys(1);
        let url = action.sign(URL_EXPIRY);
        self.send(Method::GET, url, None).await.map(drop)
    }

    async fn send(&self, method: Method, url: url::Url, req: Option<PutRequest>) -> Result<Bytes, StoreError> {
        let inner = &self.inner;
        let mut builder = Request::builder().method(method).uri(url.as_str());
        let body = match req {
            Some(p) => {
                builder = builder
                    .header(hyper::header::CONTENT_TYPE, p.content_type)
                    .header(hyper::header::CACHE_CONTROL, p.cache_control);
                p.body
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(body))
            .map_err(|e| StoreError::Transport(format!("building the request: {e}")))?;
        let exchange = async {
            let response = inner.client.request(request).await.map_err(classify)?;
            read(response).await
        };
        tokio::time::timeout(inner.timeout, exchange)
            .await
            .map_err(|_| StoreError::Timeout(inner.timeout.as_millis() as u64))?
    }
}

impl ObjectStore for S3Store {
    async fn put(&self, req: PutRequest) -> Result<(), StoreError> {
        let mut action = self.inner.bucket.put_object(Some(&self.inner.credentials), &req.key);
        action.headers_mut().insert("content-type", req.content_type);
        action.headers_mut().insert("cache-control", req.cache_control);
        let url = action.sign(URL_EXPIRY);
        self.send(Method::PUT, url, Some(req)).await.map(drop)
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let url = self
            .inner
            .bucket
            .get_object(Some(&self.inner.credentials), key)
            .sign(URL_EXPIRY);
        self.send(Method::GET, url, None).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let url = self
            .inner
            .bucket
            .delete_object(Some(&self.inner.credentials), key)
            .sign(URL_EXPIRY);
        match self.send(Method::DELETE, url, None).await {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Reads a response: the body on 2xx, a typed error otherwise.
async fn read(response: Response<hyper::body::Incoming>) -> Result<Bytes, StoreError> {
    let status = response.status();
    let limit = if status.is_success() {
        MAX_GET_BYTES
    } else {
        s3_error::MAX_ERROR_BODY
    };
    let body = Limited::new(response.into_body(), limit)
        .collect()
        .await
        .map_err(|e| StoreError::Transport(format!("reading the response: {e}")))?
        .to_bytes();
    if status.is_success() {
        return Ok(body);
    }
    Err(status_error(status, &body))
}

/// Maps a failed status and its S3 error document to an error.
pub fn status_error(status: StatusCode, body: &[u8]) -> StoreError {
    let parsed = s3_error::parse(body).ok();
    let code = parsed.as_ref().map_or_else(|| "-".to_owned(), |e| e.code.clone());
    match (status, code.as_str()) {
        (_, "NoSuchBucket") => StoreError::NoSuchBucket,
        (StatusCode::NOT_FOUND, _) => StoreError::NotFound,
        (StatusCode::FORBIDDEN, _) | (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied") => {
            StoreError::Denied {
                message: parsed.and_then(|e| e.message).unwrap_or_default(),
                code,
            }
        }
        _ => StoreError::Status {
            status: status.as_u16(),
            code,
        },
    }
}

/// Tells connection, TLS and other transport failures apart (no URL is ever included).
fn classify(e: hyper_util::client::legacy::Error) -> StoreError {
    let mut reason = String::new();
    let mut tls = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
    while let Some(s) = source {
        tls |= s.downcast_ref::<rustls::Error>().is_some()
            || s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        if !reason.is_empty() {
            reason.push_str(": ");
        }
        reason.push_str(&s.to_string());
        source = s.source();
    }
    if reason.is_empty() {
        reason = e.to_string();
    }
    match (tls, e.is_connect()) {
        (true, _) => StoreError::Tls(reason),
        (false, true) => StoreError::Connect(reason),
        (false, false) => StoreError::Transport(reason),
    }
}

fn tls_config(ca_file: &Path) -> Result<rustls::ClientConfig, SetupError> {
    let mut roots = rustls::RootCertStore::empty();
    if ca_file.as_os_str().is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        add_ca_file(&mut roots, ca_file)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn add_ca_file(roots: &mut rustls::RootCertStore, path: &Path) -> Result<(), SetupError> {
    use rustls_pki_types::pem::PemObject as _;
    let fail = |reason: String| SetupError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(fail("no usable PEM certificate".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let doc = |code: &str| format!("<Error><Code>{code}</Code><Message>m</Message></Error>");
        assert_eq!(
            status_error(StatusCode::NOT_FOUND, doc("NoSuchBucket").as_bytes()),
            StoreError::NoSuchBucket
        );
        assert_eq!(
            status_error(StatusCode::NOT_FOUND, doc("NoSuchKey").as_bytes()),
            StoreError::NotFound
        );
        assert!(matches!(
            status_error(StatusCode::FORBIDDEN, doc("SignatureDoesNotMatch").as_bytes()),
            StoreError::Denied { code, .. } if code == "SignatureDoesNotMatch"
        ));
        assert_eq!(
            status_error(StatusCode::BAD_GATEWAY, b"<html>proxy</html>"),
            StoreError::Status {
                status: 502,
                code: "-".into()
            }
        );
    }

    #[test]
    fn bad_ca_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let e = tls_config(&p).unwrap_err().to_string();
        assert!(e.contains("ca.pem") && e.contains("no usable"), "{e}");
        assert!(tls_config(&dir.path().join("missing.pem")).is_err());
        assert!(tls_config(Path::new("")).is_ok());
    }
}
