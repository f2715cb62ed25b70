//! A real S3-compatible server for the tests: s3s-fs from crates.io (installed by
//! scripts/test.d/50-uplink.sh), which checks SigV4 signatures, run as a child process on a
//! loopback port over a temporary folder; it can be killed and restarted on the same port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "VBTESTACCESSKEY";
pub const SECRET_KEY: &str = "vb-test-secret-key";

pub struct S3Server {
    child: Option<Child>,
    pub port: u16,
    root: tempfile::TempDir,
    pub bucket: String,
}

fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("S3S_FS_BIN") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = Path::new(&home).join(".cache/venuebox/s3s-fs/bin/s3s-fs");
    assert!(
        p.exists(),
        "s3s-fs missing at {}: run scripts/test.d/50-uplink.sh",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl S3Server {
    /// Starts a server with one empty bucket.
    pub async fn start(bucket: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(bucket)).unwrap();
        let mut s = Self {
            child: None,
            port: free_port(),
            root,
            bucket: bucket.to_owned(),
        };
        s.spawn().await;
        s
    }

    async fn spawn(&mut self) {
        let child = Command::new(binary())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(self.root.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(self.addr()).await.is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start listening");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no graceful anything).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and folder.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// The bucket's folder in the server's storage (survives kill and restart).
    pub fn dir(&self) -> BucketDir {
        BucketDir(self.root.path().join(&self.bucket))
    }
}

/// Reads objects straight from the server's storage: s3s-fs writes a temporary file and renames
/// it, so what is here is exactly what a GET would return.
#[derive(Debug, Clone)]
pub struct BucketDir(pub PathBuf);

impl BucketDir {
    /// The object's bytes.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.0.join(key)).ok()
    }

    /// Object names in folder `dir` of the bucket (server-internal files excluded).
    pub fn list(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.join(dir))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}
