//! Encoding of client messages, byte for byte as the npm bittorrent-tracker client writes them.
use super::id::Id20;
use super::json;
use super::request::{Announce, ClientMessage, Scrape};

fn push_opt_u64(out: &mut String, key: &str, v: Option<u64>) {
    if let Some(v) = v {
        json::push_key(out, key);
        json::push_u64(out, v);
        out.push(',');
    }
}

fn push_id(out: &mut String, key: &str, id: &Id20) {
    json::push_key(out, key);
    id.write_json(out);
}

fn encode_announce(a: &Announce) -> String {
    let mut out = String::with_capacity(256 + a.offers.len() * 1500);
    out.push('{');
    push_opt_u64(&mut out, "numwant", a.numwant);
    push_opt_u64(&mut out, "uploaded", a.uploaded);
    push_opt_u64(&mut out, "downloaded", a.downloaded);
    push_opt_u64(&mut out, "left", a.left);
    if let Some(e) = a.event {
        json::push_key(&mut out, "event");
        json::push_str(&mut out, e.as_str());
        out.push(',');
    }
    out.push_str("\"action\":\"announce\",");
    push_id(&mut out, "info_hash", &a.info_hash);
    out.push(',');
    push_id(&mut out, "peer_id", &a.peer_id);
    if let Some(ans) = &a.answer {
        out.push(',');
        push_id(&mut out, "to_peer_id", &ans.to_peer_id);
        out.push_str(",\"answer\":");
        out.push_str(ans.answer.as_json());
        out.push(',');
        push_id(&mut out, "offer_id", &ans.offer_id);
    }
    if !a.offers.is_empty() {
        out.push_str(",\"offers\":[");
        for (i, o) in a.offers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"offer\":");
            out.push_str(o.offer.as_json());
            out.push(',');
            push_id(&mut out, "offer_id", &o.offer_id);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    out
}

fn encode_scrape(s: &Scrape) -> String {
    let mut out = String::from("{\"action\":\"scrape\"");
    match s {
        Scrape::All => {}
        Scrape::One(h) => {
            out.push(',');
            push_id(&mut out, "info_hash", h);
        }
        Scrape::Many(list) => {
            out.push_str(",\"info_hash\":[");
            for (i, h) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                h.write_json(&mut out);
            }
            out.push(']');
        }
    }
    out.push('}');
    out
}

impl ClientMessage {
    /// Encodes as JSON text, fields in the order the JS client writes them.
    pub fn encode(&self) -> String {
        match self {
            Self::Announce(a) => encode_announce(a),
            Self::Scrape(s) => encode_scrape(s),
        }
    }
}
