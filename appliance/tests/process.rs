//! The `venuebox` binary as systemd and the image run it: command-line contract, config errors,
//! sd-notify READY/WATCHDOG/STATUS, SIGHUP reload, SIGTERM shutdown, and a failing essential
//! task making the process exit non-zero.

mod common;

use std::io::Read as _;
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_venuebox");

fn venuebox(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env("VENUEBOX_ADMIN_PASSWORD", "process-test") // no generated password file on the test machine
        .env("VENUEBOX_HTTP_HTTPS_LISTEN", "127.0.0.1:0")
        .env("VENUEBOX_ADMIN_STATE_DIR", common::unique_state_dir())
        .env("RUST_LOG", "info");
    c
}

/// Receives notify datagrams until one contains `want`, returning everything received.
fn recv_until(sock: &UnixDatagram, want: &str, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = msg.contains(want);
            seen.push(msg);
            if done {
                return seen;
            }
        }
    }
    panic!("no {want} within {timeout:?}; got {seen:?}");
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn print_config_is_valid_toml_that_loads_back() {
    let out = venuebox(&["--print-config", "--listen", "127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:9\""), "{text}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), &text).unwrap();
    let again = venuebox(&[
        "--print-config",
        "--config",
        dir.path().join("c.toml").to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn bad_config_is_a_clear_error_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[window]\nmax_segmnts = 3\n").unwrap();
    let out = venuebox(&["--config", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("max_segmnts") && err.contains("c.toml"), "{err}");
    let out = venuebox(&["--config", "/nonexistent/venuebox.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("cannot read config file"));
}

#[test]
fn notifies_ready_after_binding_then_watchdog_reload_and_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let hls = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[window]\nmax_segments = 10\n").unwrap();
    let mut child = venuebox(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .args(["--hls-dir", hls.path().to_str().unwrap()])
    .env("NOTIFY_SOCKET", &sock_path)
    .env("WATCHDOG_USEC", "400000")
    .env("WATCHDOG_PID", "") // sd-notify checks the pid only when set to a number
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let msgs = recv_until(&sock, "READY=1", Duration::from_secs(10));
    // READY=1 came only after the listener was bound: connecting works at once.
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("bound before READY=1");
    assert!(msgs.iter().any(|m| m.contains("STATUS=")), "{msgs:?}");
    let pings = recv_until(&sock, "WATCHDOG=1", Duration::from_secs(2));
    assert!(pings.last().unwrap().contains("STATUS=waiting"), "{pings:?}");

    for i in 0..4 {
        std::fs::write(hls.path().join(format!("{i}.ts")), "x").unwrap();
    }
    let names: Vec<String> = (0..4).map(|i| format!("{i}.ts")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    common::write_atomic(hls.path(), "stream.m3u8", common::playlist(0, &refs, false).as_bytes());
    recv_until(&sock, "4 segments", Duration::from_secs(5));
    // SIGHUP: the window shrinks to the new limit without a restart.
    std::fs::write(&config, "[window]\nmax_segments = 2\n").unwrap();
    signal(&child, nix::sys::signal::Signal::SIGHUP);
    recv_until(&sock, "2 segments", Duration::from_secs(5));

    signal(&child, nix::sys::signal::Signal::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let stopping = recv_until(&sock, "STOPPING=1", Duration::from_secs(1));
    assert!(!stopping.is_empty());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(
        err.contains("configuration reloaded") && err.contains("venuebox stopped"),
        "{err}"
    );
}

#[test]
fn a_dead_essential_task_makes_the_process_fail() {
    let port = common::free_port();
    let mut child = venuebox(&["--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("VENUEBOX_INGEST_FFMPEG", "/nonexistent/ffmpeg")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(
        err.contains("essential task demo-ffmpeg failed") && err.contains("/nonexistent/ffmpeg"),
        "{err}"
    );
}

#[test]
fn sigint_stops_a_demo_with_its_ffmpeg() {
    common::ffmpeg();
    let port = common::free_port();
    let mut child = venuebox(&["--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("VENUEBOX_DEMO_WIDTH", "160")
        .env("VENUEBOX_DEMO_HEIGHT", "120")
        .env("VENUEBOX_DEMO_SEGMENT_SECS", "1")
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = ([127, 0, 0, 1], port).into();
    rt.block_on(common::wait_for(
        Duration::from_secs(20),
        "demo segments",
        || async move {
            let c = tokio::net::TcpStream::connect(addr).await.ok()?;
            drop(c);
            let p = common::get(addr, "/hls/live.m3u8").await;
            venuebox_proto::m3u8::MediaPlaylist::parse(&p.body)
                .ok()?
                .segments
                .len()
                .ge(&2)
                .then_some(())
        },
    ));
    signal(&child, nix::sys::signal::Signal::SIGINT);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
    let leftover = Command::new("pgrep")
        .args(["-f", "testsrc2=size=160x120"])
        .output()
        .unwrap();
    assert!(leftover.stdout.is_empty(), "ffmpeg left running");
}

#[test]
fn the_console_shows_the_fingerprint_of_the_certificate_https_serves() {
    let port = common::free_port();
    let https = common::free_port();
    let state = common::unique_state_dir();
    let mut child = venuebox(&["--listen", &format!("127.0.0.1:{port}")])
        .env("VENUEBOX_HTTP_HTTPS_LISTEN", format!("127.0.0.1:{https}"))
        .env("VENUEBOX_ADMIN_STATE_DIR", &state)
        .env_remove("VENUEBOX_ADMIN_PASSWORD")
        .env("VENUEBOX_INGEST_HLS_DIR", state.join("hls"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            let _ = tx.send(text.clone());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let banner = loop {
        let text = rx.recv_timeout(Duration::from_secs(20)).expect("console output");
        if text.contains("HTTPS certificate SHA-256: ") && text.contains("password ") {
            break text;
        }
        assert!(Instant::now() < deadline, "no fingerprint on the console: {text}");
    };
    let shown = banner
        .split("HTTPS certificate SHA-256: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let password = banner
        .split("password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(banner.contains("https://"), "the staff URL is HTTPS: {banner}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = ([127, 0, 0, 1], https).into();
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("staff:{password}"))
    );
    let (reply, cert) = rt.block_on(common::https_request(
        addr,
        "GET",
        "/admin",
        &[("Authorization", &auth)],
    ));
    assert_eq!(venuebox::http::tls::fingerprint(&cert), shown);
    assert_eq!(reply.status, 200, "the banner's password logs in over HTTPS");
    signal(&child, nix::sys::signal::Signal::SIGTERM);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
    let _ = std::fs::remove_dir_all(state);
}
