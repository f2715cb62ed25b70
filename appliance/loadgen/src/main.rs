//! Tracker load generator: opens N WebSocket clients, each announcing (closed loop, or at a
//! fixed rate) with offers into one of S swarms and answering every offer it receives; prints
//! announces/s, relayed offers/s, answers/s, announce->reply latency and the server's RSS/CPU.
//!
//! `venuebox-loadgen <ws-url> [--clients N] [--swarms S] [--offers K] [--secs T]
//!  [--rate R per client per s, 0 = closed loop] [--pid SERVER_PID] [--name LABEL]`
mod client;
mod report;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

/// Command-line settings.
#[derive(Debug, Clone)]
pub struct Args {
    url: String,
    clients: usize,
    swarms: usize,
    offers: usize,
    secs: u64,
    rate: f64,
    pid: Option<u32>,
    name: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let url = it.next().context("usage: venuebox-loadgen <ws-url> [options]")?;
    let mut a = Args {
        url,
        clients: 1000,
        swarms: 20,
        offers: 5,
        secs: 10,
        rate: 0.0,
        pid: None,
        name: "tracker".into(),
    };
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--clients" => a.clients = v.parse()?,
            "--swarms" => a.swarms = v.parse()?,
            "--offers" => a.offers = v.parse()?,
            "--secs" => a.secs = v.parse()?,
            "--rate" => a.rate = v.parse()?,
            "--pid" => a.pid = Some(v.parse()?),
            "--name" => a.name = v,
            _ => anyhow::bail!("unknown option {flag}"),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let stats = Arc::new(client::Stats::default());
    let mut tasks = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let (args, stats) = (args.clone(), stats.clone());
        tasks.push(tokio::spawn(async move { client::run(i, &args, &stats).await }));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Warm-up: everyone connected and announced once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stats.ready() < args.clients && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = report::Sample::take(&stats, args.pid);
    stats.latencies.lock().expect("not poisoned").clear(); // latencies of the measured period only
    tokio::time::sleep(Duration::from_secs(args.secs)).await;
    let after = report::Sample::take(&stats, args.pid);
    report::print(&args, &stats, &before, &after);
    stats.stop();
    for t in tasks {
        t.abort();
    }
    Ok(())
}
