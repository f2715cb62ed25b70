//! The bucket as a small trait: put, get, delete. The real implementation speaks S3 (see
//! `s3.rs`); [`MemoryStore`] keeps objects in memory for unit tests and records every operation.

use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// An object to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct PutRequest {
    /// Object key.
    pub key: String,
    /// Its bytes.
    pub body: Bytes,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
}

/// Why a request failed. Messages never contain credentials or signed URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No TCP connection (DNS, refused, unreachable).
    #[error("cannot connect to the endpoint: {0}")]
    Connect(String),
    /// The TLS handshake failed (untrusted or wrong certificate).
    #[error("TLS with the endpoint failed: {0}")]
    Tls(String),
    /// No complete answer within the request time limit.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The connection broke during the request.
    #[error("request failed: {0}")]
    Transport(String),
    /// The endpoint rejected the credentials or their rights (HTTP 403).
    #[error("access denied ({code}): {message}")]
    Denied {
        /// S3 error code: `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `AccessDenied`...
        code: String,
        /// The server's message.
        message: String,
    },
    /// The bucket does not exist.
    #[error("no such bucket")]
    NoSuchBucket,
    /// The object does not exist (get).
    #[error("no such object")]
    NotFound,
    /// Any other HTTP status.
    #[error("HTTP {status} ({code})")]
    Status {
        /// HTTP status.
        status: u16,
        /// S3 error code, or `-` without one.
        code: String,
    },
}

/// A bucket.
pub trait ObjectStore: Clone + Send + Sync + 'static {
    /// Writes an object (replacing any of the same key).
    fn put(&self, req: PutRequest) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads an object.
    fn get(&self, key: &str) -> impl Future<Output = Result<Bytes, StoreError>> + Send;
    /// Removes an object; removing a missing one succeeds.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// One operation a [`MemoryStore`] saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A successful put.
    Put(PutRequest),
    /// A successful delete.
    Delete(String),
}

#[derive(Debug, Default)]
struct Inner {
    objects: HashMap<String, PutRequest>,
    log: Vec<Op>,
    failing: bool,
}

/// An in-memory bucket for tests; [`MemoryStore::set_failing`] makes every request fail.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    /// Makes every request fail with HTTP 500 (`true`) or succeed again.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// The stored object of `key`.
    pub fn object(&self, key: &str) -> Option<PutRequest> {
        self.lock().objects.get(key).cloned()
    }

    /// Keys held, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<_> = self.lock().objects.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// Every successful operation, in order.
    pub fn log(&self) -> Vec<Op> {
        self.lock().log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        let inner = self.lock();
        if inner.failing {
            return Err(StoreError::Status {
                status: 500,
                code: "InternalError".into(),
            });
        }
        Ok(inner)
    }
}

impl ObjectStore for MemoryStore {
    async fn put(&self, req: PutRequest) -> Result<(), StoreError> {
        let mut inner = self.check()?;
        inner.objects.insert(req.key.clone(), req.clone());
        inner.log.push(Op::Put(req));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let inner = self.check()?;
        inner
            .objects
            .get(key)
            .map(|o| o.body.clone())
            .ok_or(StoreError::NotFound)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut inner = self.check()?;
        inner.objects.remove(key);
        inner.log.push(Op::Delete(key.to_owned()));
        Ok(())
    }
}
