//! Client -> tracker messages (announce, scrape): strict decoding and `JSON.stringify`-exact
//! encoding, field order as npm bittorrent-tracker's client writes them.
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{Action, DecodeError, Rejected};
use super::id::{Id20, InfoHash, OfferId, PeerId};
use super::json::{Signal, SignalKind};

/// Limits applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted frame in bytes.
    pub max_frame: usize,
    /// Offers beyond this many are ignored (the reference server also caps, at 82).
    pub max_offers: usize,
    /// Largest accepted scrape list.
    pub max_scrape: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_frame: 64 * 1024,
            max_offers: 10,
            max_scrape: 128,
        }
    }
}

/// An announce `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnounceEvent {
    /// Joined the swarm.
    Started,
    /// Left the swarm.
    Stopped,
    /// Finished downloading (now a seeder).
    Completed,
    /// Periodic re-announce.
    Update,
    /// Paused (treated as update).
    Paused,
    /// `"empty"`, the BEP 3 spelling of no event (treated as update).
    Empty,
}

impl AnnounceEvent {
    const ALL: [(Self, &'static str); 6] = [
        (Self::Started, "started"),
        (Self::Stopped, "stopped"),
        (Self::Completed, "completed"),
        (Self::Update, "update"),
        (Self::Paused, "paused"),
        (Self::Empty, "empty"),
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(e, _)| *e == self).map_or("update", |(_, s)| s)
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(e, _)| *e)
    }
}

/// One WebRTC offer of an announce, to be forwarded to one chosen peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Id the answer will carry back.
    pub offer_id: OfferId,
    /// The session description object.
    pub offer: Signal,
}

/// An answer to a forwarded offer, to be relayed to the offering peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The peer that made the offer.
    pub to_peer_id: PeerId,
    /// The offer being answered.
    pub offer_id: OfferId,
    /// The session description object.
    pub answer: Signal,
}

/// `action: "announce"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// Swarm.
    pub info_hash: InfoHash,
    /// Announcing peer.
    pub peer_id: PeerId,
    /// Event; absent means update.
    pub event: Option<AnnounceEvent>,
    /// Peers wanted (the reference server uses the number of offers instead).
    pub numwant: Option<u64>,
    /// Bytes uploaded.
    pub uploaded: Option<u64>,
    /// Bytes downloaded.
    pub downloaded: Option<u64>,
    /// Bytes left; `Some(0)` is a seeder, `None` unknown.
    pub left: Option<u64>,
    /// Offers to forward (at most `DecodeLimits::max_offers`).
    pub offers: Vec<Offer>,
    /// An answer to relay.
    pub answer: Option<Answer>,
}

/// `action: "scrape"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scrape {
    /// No `info_hash`: every swarm.
    All,
    /// `info_hash` as one string.
    One(InfoHash),
    /// `info_hash` as an array.
    Many(Vec<InfoHash>),
}

/// A message from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// Announce.
    Announce(Announce),
    /// Scrape.
    Scrape(Scrape),
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    action: Option<&'a RawValue>,
    #[serde(borrow)]
    info_hash: Option<&'a RawValue>,
    #[serde(borrow)]
    peer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    to_peer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    offer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    answer: Option<&'a RawValue>,
    #[serde(borrow)]
    offers: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    numwant: Option<&'a RawValue>,
    #[serde(borrow)]
    uploaded: Option<&'a RawValue>,
    #[serde(borrow)]
    downloaded: Option<&'a RawValue>,
    #[serde(borrow)]
    left: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireOffer<'a> {
    #[serde(borrow)]
    offer: &'a RawValue,
    #[serde(borrow)]
    offer_id: &'a RawValue,
}

impl ClientMessage {
    /// Decodes one text frame.
    pub fn decode(text: &str, limits: &DecodeLimits) -> Result<Self, Rejected> {
        if text.len() > limits.max_frame {
            return Err(Rejected::bare(DecodeError::TooLarge(text.len())));
        }
        let wire = parse_object(text)?;
        match action_of(&wire) {
            Some(Action::Announce) => decode_announce(&wire, limits).map(Self::Announce),
            Some(Action::Scrape) => decode_scrape(&wire, limits).map(Self::Scrape),
            None => Err(Rejected::bare(DecodeError::InvalidAction)),
        }
    }
}

fn parse_object(text: &str) -> Result<Wire<'_>, Rejected> {
    // A derived struct would also accept a positional array: only objects are messages.
    let first = text.trim_start_matches([' ', '\t', '\n', '\r']).bytes().next();
    if first.is_some_and(|b| b != b'{') && serde_json::from_str::<&RawValue>(text).is_ok() {
        return Err(Rejected::bare(DecodeError::NotObject));
    }
    match serde_json::from_str::<Wire<'_>>(text) {
        Ok(w) => Ok(w),
        Err(e) if e.is_data() => Err(Rejected::bare(DecodeError::NotObject)),
        Err(_) => Err(Rejected::bare(DecodeError::NotJson)),
    }
}

fn action_of(wire: &Wire<'_>) -> Option<Action> {
    match wire.action.map(RawValue::get) {
        Some("\"announce\"") => Some(Action::Announce),
        Some("\"scrape\"") => Some(Action::Scrape),
        Some(raw) => match serde_json::from_str::<String>(raw).ok()?.as_str() {
            "announce" => Some(Action::Announce),
            "scrape" => Some(Action::Scrape),
            _ => None,
        },
        None => None,
    }
}

fn decode_announce(w: &Wire<'_>, limits: &DecodeLimits) -> Result<Announce, Rejected> {
    let info_hash = id(w.info_hash).map_err(|e| reject(Action::Announce, None, DecodeError::InvalidInfoHash(e)))?;
    let fail = |error| reject(Action::Announce, Some(info_hash), error);
    let peer_id = id(w.peer_id).map_err(|e| fail(DecodeError::InvalidPeerId(e)))?;
    let answer = match w.answer {
        Some(raw) => Some(decode_answer(w, raw).map_err(fail)?),
        None => None,
    };
    let offers = match w.offers {
        Some(raw) => decode_offers(raw, limits.max_offers).map_err(fail)?,
        None => Vec::new(),
    };
    Ok(Announce {
        info_hash,
        peer_id,
        event: decode_event(w.event).map_err(fail)?,
        numwant: number(w.numwant, "numwant").map_err(fail)?,
        uploaded: number(w.uploaded, "uploaded").map_err(fail)?,
        downloaded: number(w.downloaded, "downloaded").map_err(fail)?,
        left: number(w.left, "left").map_err(fail)?,
        offers,
        answer,
    })
}

fn reject(action: Action, info_hash: Option<InfoHash>, error: DecodeError) -> Rejected {
    Rejected {
        action: Some(action),
        info_hash,
        error,
    }
}

fn id(raw: Option<&RawValue>) -> Result<Id20, super::id::IdError> {
    Id20::from_json(raw.ok_or(super::id::IdError::NotString)?.get())
}

fn decode_answer(w: &Wire<'_>, raw: &RawValue) -> Result<Answer, DecodeError> {
    Ok(Answer {
        to_peer_id: id(w.to_peer_id).map_err(DecodeError::InvalidToPeerId)?,
        offer_id: id(w.offer_id).map_err(DecodeError::InvalidOfferId)?,
        answer: Signal::from_json(raw.get(), SignalKind::Answer).ok_or(DecodeError::InvalidAnswer)?,
    })
}

fn decode_offers(raw: &RawValue, max: usize) -> Result<Vec<Offer>, DecodeError> {
    let list: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| DecodeError::InvalidOffers)?;
    list.into_iter()
        .take(max)
        .map(|item| {
            let o: WireOffer<'_> = serde_json::from_str(item.get()).map_err(|_| DecodeError::InvalidOffers)?;
            Ok(Offer {
                offer_id: Id20::from_json(o.offer_id.get()).map_err(DecodeError::InvalidOfferId)?,
                offer: Signal::from_json(o.offer.get(), SignalKind::Offer).ok_or(DecodeError::InvalidOffer)?,
            })
        })
        .collect()
}

fn decode_event(raw: Option<&RawValue>) -> Result<Option<AnnounceEvent>, DecodeError> {
    let Some(raw) = raw else { return Ok(None) };
    let name: std::borrow::Cow<'_, str> = serde_json::from_str(raw.get()).map_err(|_| DecodeError::InvalidEvent)?;
    AnnounceEvent::parse(&name).map(Some).ok_or(DecodeError::InvalidEvent)
}

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

fn number(raw: Option<&RawValue>, field: &'static str) -> Result<Option<u64>, DecodeError> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.get().parse::<u64>() {
        Ok(v) if v <= MAX_SAFE => Ok(Some(v)),
        _ => Err(DecodeError::InvalidNumber(field)),
    }
}

fn decode_scrape(w: &Wire<'_>, limits: &DecodeLimits) -> Result<Scrape, Rejected> {
    let bad = |e| reject(Action::Scrape, None, DecodeError::InvalidInfoHash(e));
    let Some(raw) = w.info_hash else {
        return Ok(Scrape::All);
    };
    if !raw.get().starts_with('[') {
        return Id20::from_json(raw.get()).map(Scrape::One).map_err(bad);
    }
    let list: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| bad(super::id::IdError::NotString))?;
    if list.len() > limits.max_scrape {
        return Err(reject(Action::Scrape, None, DecodeError::TooManyInfoHashes(list.len())));
    }
    let hashes = list.iter().map(|r| Id20::from_json(r.get()));
    hashes.collect::<Result<Vec<_>, _>>().map(Scrape::Many).map_err(bad)
}
