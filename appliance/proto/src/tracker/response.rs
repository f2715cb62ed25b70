//! Tracker -> client messages: announce replies, forwarded offers and answers, scrape replies and
//! failures, encoded byte for byte as npm bittorrent-tracker's server writes them.
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::error::{Action, DecodeError};
use super::id::{Id20, InfoHash, OfferId, PeerId};
use super::json::{self, Signal, SignalKind};

/// Reply to an announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceReply {
    /// Swarm.
    pub info_hash: InfoHash,
    /// Seeders.
    pub complete: u64,
    /// Leechers.
    pub incomplete: u64,
    /// Seconds until the next announce.
    pub interval: Option<u64>,
    /// Shortest allowed announce interval in seconds.
    pub min_interval: Option<u64>,
    /// `warning message`.
    pub warning: Option<String>,
}

/// An offer forwarded to a chosen peer (`peer_id` is the offering peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedOffer {
    /// Swarm.
    pub info_hash: InfoHash,
    /// The offering peer.
    pub peer_id: PeerId,
    /// Offer id to answer with.
    pub offer_id: OfferId,
    /// The offer.
    pub offer: Signal,
}

/// An answer relayed to the offering peer (`peer_id` is the answering peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedAnswer {
    /// Swarm.
    pub info_hash: InfoHash,
    /// The answering peer.
    pub peer_id: PeerId,
    /// The offer answered.
    pub offer_id: OfferId,
    /// The answer.
    pub answer: Signal,
}

/// Counters of one swarm in a scrape reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeFile {
    /// Swarm.
    pub info_hash: InfoHash,
    /// Seeders.
    pub complete: u64,
    /// Leechers.
    pub incomplete: u64,
    /// Completed downloads.
    pub downloaded: u64,
}

/// Reply to a scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeReply {
    /// One entry per swarm asked for.
    pub files: Vec<ScrapeFile>,
    /// `flags.min_request_interval` in seconds.
    pub min_request_interval: Option<u64>,
}

/// `failure reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Action the failure answers (the reference omits it for unparsable frames; we never do).
    pub action: Option<Action>,
    /// Text shown to the client.
    pub reason: String,
    /// Swarm, when known (clients drop announce failures that lack it).
    pub info_hash: Option<InfoHash>,
}

/// A message from the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMessage {
    /// Announce reply.
    Announce(AnnounceReply),
    /// Forwarded offer.
    Offer(ForwardedOffer),
    /// Relayed answer.
    Answer(ForwardedAnswer),
    /// Scrape reply.
    Scrape(ScrapeReply),
    /// Failure.
    Failure(Failure),
}

impl ServerMessage {
    /// Encodes as JSON text.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256);
        match self {
            Self::Announce(r) => encode_announce(&mut out, r),
            Self::Offer(o) => encode_signal(&mut out, "offer", &o.offer, o),
            Self::Answer(a) => encode_answer(&mut out, a),
            Self::Scrape(s) => encode_scrape(&mut out, s),
            Self::Failure(f) => encode_failure(&mut out, f),
        }
        out
    }

    /// Decodes one text frame (used by test clients and the load generator).
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let w: Wire<'_> = serde_json::from_str(text).map_err(|_| DecodeError::NotJson)?;
        let action = match w.action {
            None => None,
            Some("announce") => Some(Action::Announce),
            Some("scrape") => Some(Action::Scrape),
            Some(_) => return Err(DecodeError::InvalidAction),
        };
        if let Some(reason) = w.failure {
            let info_hash = w.info_hash.map(|r| Id20::from_json(r.get())).transpose();
            let info_hash = info_hash.map_err(DecodeError::InvalidInfoHash)?;
            return Ok(Self::Failure(Failure {
                action,
                reason,
                info_hash,
            }));
        }
        match action {
            Some(Action::Announce) => decode_announce(&w),
            Some(Action::Scrape) => decode_scrape(&w),
            None => Err(DecodeError::InvalidAction),
        }
    }
}

fn push_id(out: &mut String, key: &str, id: &Id20) {
    json::push_key(out, key);
    id.write_json(out);
}

fn push_u64(out: &mut String, key: &str, v: u64) {
    json::push_key(out, key);
    json::push_u64(out, v);
}

fn encode_announce(out: &mut String, r: &AnnounceReply) {
    out.push('{');
    push_u64(out, "complete", r.complete);
    out.push(',');
    push_u64(out, "incomplete", r.incomplete);
    out.push_str(",\"action\":\"announce\",");
    if let Some(i) = r.interval {
        push_u64(out, "interval", i);
        out.push(',');
    }
    push_id(out, "info_hash", &r.info_hash);
    if let Some(i) = r.min_interval {
        out.push(',');
        push_u64(out, "min interval", i);
    }
    if let Some(w) = &r.warning {
        out.push_str(",\"warning message\":");
        json::push_str(out, w);
    }
    out.push('}');
}

fn encode_signal(out: &mut String, key: &str, signal: &Signal, o: &ForwardedOffer) {
    encode_forward(out, key, signal, &o.offer_id, &o.peer_id, &o.info_hash);
}

fn encode_answer(out: &mut String, a: &ForwardedAnswer) {
    encode_forward(out, "answer", &a.answer, &a.offer_id, &a.peer_id, &a.info_hash);
}

fn encode_forward(out: &mut String, key: &str, s: &Signal, offer: &Id20, peer: &Id20, ih: &Id20) {
    out.reserve(s.as_json().len() + 200);
    out.push_str("{\"action\":\"announce\",");
    json::push_key(out, key);
    out.push_str(s.as_json());
    out.push(',');
    push_id(out, "offer_id", offer);
    out.push(',');
    push_id(out, "peer_id", peer);
    out.push(',');
    push_id(out, "info_hash", ih);
    out.push('}');
}

fn encode_scrape(out: &mut String, s: &ScrapeReply) {
    out.push_str("{\"action\":\"scrape\",\"files\":{");
    for (i, f) in s.files.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        f.info_hash.write_json(out);
        out.push_str(":{");
        push_u64(out, "complete", f.complete);
        out.push(',');
        push_u64(out, "incomplete", f.incomplete);
        out.push(',');
        push_u64(out, "downloaded", f.downloaded);
        out.push('}');
    }
    out.push('}');
    if let Some(m) = s.min_request_interval {
        out.push_str(",\"flags\":{");
        push_u64(out, "min_request_interval", m);
        out.push('}');
    }
    out.push('}');
}

fn encode_failure(out: &mut String, f: &Failure) {
    out.push('{');
    if let Some(a) = f.action {
        out.push_str("\"action\":");
        json::push_str(out, a.as_str());
        out.push(',');
    }
    out.push_str("\"failure reason\":");
    json::push_str(out, &f.reason);
    if let Some(h) = &f.info_hash {
        out.push(',');
        push_id(out, "info_hash", h);
    }
    out.push('}');
}

#[derive(Deserialize)]
struct Wire<'a> {
    action: Option<&'a str>,
    #[serde(rename = "failure reason")]
    failure: Option<String>,
    #[serde(rename = "warning message")]
    warning: Option<String>,
    #[serde(borrow)]
    info_hash: Option<&'a RawValue>,
    #[serde(borrow)]
    peer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    offer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    offer: Option<&'a RawValue>,
    #[serde(borrow)]
    answer: Option<&'a RawValue>,
    complete: Option<u64>,
    incomplete: Option<u64>,
    interval: Option<u64>,
    #[serde(rename = "min interval")]
    min_interval: Option<u64>,
    files: Option<Files>,
    flags: Option<Flags>,
}

#[derive(Deserialize)]
struct Flags {
    min_request_interval: Option<u64>,
}

#[derive(Deserialize)]
struct Counts {
    complete: u64,
    incomplete: u64,
    downloaded: u64,
}

/// `files` in key order (a derived map would lose it).
struct Files(Vec<(String, Counts)>);

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Files;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of scrape counters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Files, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = m.next_entry::<String, Counts>()? {
                    v.push(entry);
                }
                Ok(Files(v))
            }
        }
        d.deserialize_map(V)
    }
}

fn req_id(raw: Option<&RawValue>, err: fn(super::id::IdError) -> DecodeError) -> Result<Id20, DecodeError> {
    let raw = raw.ok_or(err(super::id::IdError::NotString))?;
    Id20::from_json(raw.get()).map_err(err)
}

fn decode_announce(w: &Wire<'_>) -> Result<ServerMessage, DecodeError> {
    let info_hash = req_id(w.info_hash, DecodeError::InvalidInfoHash)?;
    for (raw, kind) in [(w.offer, SignalKind::Offer), (w.answer, SignalKind::Answer)] {
        let Some(raw) = raw else { continue };
        let bad = if kind == SignalKind::Offer {
            DecodeError::InvalidOffer
        } else {
            DecodeError::InvalidAnswer
        };
        let signal = Signal::from_json(raw.get(), kind).ok_or(bad)?;
        let peer_id = req_id(w.peer_id, DecodeError::InvalidPeerId)?;
        let offer_id = req_id(w.offer_id, DecodeError::InvalidOfferId)?;
        return Ok(match kind {
            SignalKind::Offer => ServerMessage::Offer(ForwardedOffer {
                info_hash,
                peer_id,
                offer_id,
                offer: signal,
            }),
            SignalKind::Answer => ServerMessage::Answer(ForwardedAnswer {
                info_hash,
                peer_id,
                offer_id,
                answer: signal,
            }),
        });
    }
    Ok(ServerMessage::Announce(AnnounceReply {
        info_hash,
        complete: w.complete.ok_or(DecodeError::InvalidNumber("complete"))?,
        incomplete: w.incomplete.ok_or(DecodeError::InvalidNumber("incomplete"))?,
        interval: w.interval,
        min_interval: w.min_interval,
        warning: w.warning.clone(),
    }))
}

fn decode_scrape(w: &Wire<'_>) -> Result<ServerMessage, DecodeError> {
    let files = w.files.as_ref().map(|f| f.0.as_slice()).unwrap_or_default();
    let files = files
        .iter()
        .map(|(k, c)| {
            Ok(ScrapeFile {
                info_hash: Id20::from_binary_str(k).map_err(DecodeError::InvalidInfoHash)?,
                complete: c.complete,
                incomplete: c.incomplete,
                downloaded: c.downloaded,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let min_request_interval = w.flags.as_ref().and_then(|f| f.min_request_interval);
    Ok(ServerMessage::Scrape(ScrapeReply {
        files,
        min_request_interval,
    }))
}
