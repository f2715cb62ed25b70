//! Runs the seeder against an external WebTorrent WebSocket tracker (npm bittorrent-tracker) for
//! interop tests and benchmarks, standing in for the in-process tracker: it announces every
//! segment as the box and relays offers to [`Seeder::answer_offer`] and answers back.
//!
//! Usage: `seeder_interop <tracker ws url> <udp bind addr> [candidate ip]`; then commands on
//! stdin, one JSON reply line each on stdout: `add <seq> <file>`, `remove <seq>`, `status`.
use std::sync::Arc;

use anyhow::{bail, Context};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use venuebox::seeder::{Seeder, SeederConfig};
use venuebox_proto::torrent::InfoHash;

fn binary_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn from_binary_string(s: &str) -> Option<[u8; 20]> {
    let bytes: Vec<u8> = s
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<_>>()?;
    bytes.try_into().ok()
}

fn announce(seeder: &Seeder, hash: &InfoHash, event: &str) -> Message {
    let msg = json!({
        "action": "announce", "info_hash": binary_string(&hash.0), "peer_id": binary_string(&seeder.peer_id()),
        "numwant": 0, "uploaded": 0, "downloaded": 0, "left": 0, "event": event,
    });
    Message::text(msg.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!("usage: seeder_interop <tracker ws url> <udp bind addr> [candidate ip]");
    }
    let mut cfg = SeederConfig {
        trackers: vec![args[1].clone()],
        udp_bind: args[2].parse()?,
        ..Default::default()
    };
    if let Some(ms) = std::env::var("SEEDER_PATIENCE_MS").ok().and_then(|v| v.parse().ok()) {
        cfg.session.patience = std::time::Duration::from_millis(ms);
    }
    if let Some(ip) = args.get(3) {
        cfg.candidate_ips = vec![ip.parse()?];
    }
    let seeder = Arc::new(Seeder::new(cfg).await?);
    let (ws, _) = tokio_tungstenite::connect_async(args[1].as_str())
        .await
        .context("tracker")?;
    let (mut ws_tx, mut ws_rx) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
    tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if ws_tx.send(m).await.is_err() {
                break;
            }
        }
    });
    let relay = (seeder.clone(), out_tx.clone());
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = ws_rx.next().await {
            let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let (seeder, out) = relay.clone();
            tokio::spawn(async move { answer(&seeder, &out, &msg).await });
        }
        eprintln!("tracker connection ended");
    });
    println!(
        "{}",
        json!({"ready": true, "udp": seeder.udp_addr().to_string(), "peer_id": binary_string(&seeder.peer_id())})
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = command(&seeder, &out_tx, &line)
            .await
            .unwrap_or_else(|e| json!({"error": e.to_string()}));
        println!("{reply}");
    }
    Ok(())
}

async fn answer(seeder: &Seeder, out: &mpsc::Sender<Message>, msg: &Value) {
    let (Some(offer), Some(offer_id), Some(peer), Some(hash)) = (
        msg["offer"]["sdp"].as_str(),
        msg["offer_id"].as_str(),
        msg["peer_id"].as_str(),
        msg["info_hash"].as_str().and_then(from_binary_string),
    ) else {
        return;
    };
    match seeder.answer_offer(InfoHash(hash), offer).await {
        Ok(sdp) => {
            let reply = json!({
                "action": "announce", "info_hash": binary_string(&hash), "peer_id": binary_string(&seeder.peer_id()),
                "to_peer_id": peer, "answer": {"type": "answer", "sdp": sdp}, "offer_id": offer_id,
            });
            let _ = out.send(Message::text(reply.to_string())).await;
        }
        Err(e) => eprintln!("not answering an offer: {e}"),
    }
}

async fn command(seeder: &Seeder, out: &mpsc::Sender<Message>, line: &str) -> anyhow::Result<Value> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["add", seq, file] => {
            let data = Bytes::from(tokio::fs::read(file).await?);
            let name = std::path::Path::new(file)
                .file_name()
                .context("file name")?
                .to_string_lossy()
                .into_owned();
            let seg = seeder.add_segment(seq.parse()?, &name, data)?;
            out.send(announce(seeder, &seg.torrent.info_hash(), "completed"))
                .await?;
            let torrent_path = format!("{file}.torrent");
            tokio::fs::write(&torrent_path, &seg.torrent_file).await?;
            Ok(
                json!({"seq": seg.seq, "info_hash": seg.torrent.info_hash().to_hex(), "magnet": seg.magnet,
                      "torrent": torrent_path, "length": seg.torrent.length(), "pieces": seg.torrent.piece_count()}),
            )
        }
        ["remove", seq] => {
            let seg = seeder.remove_segment(seq.parse()?).context("no such segment")?;
            out.send(announce(seeder, &seg.torrent.info_hash(), "stopped")).await?;
            Ok(json!({"removed": seg.seq}))
        }
        ["status"] => Ok(venuebox::report::source_json(seeder)),
        _ => bail!("unknown command {line:?}"),
    }
}
