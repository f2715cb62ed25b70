//! JSON text helpers that write exactly what JavaScript's `JSON.stringify` writes, plus the
//! opaque WebRTC signal (offer / answer) the tracker forwards without interpreting it.
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// Appends one character of a JSON string body, escaped as `JSON.stringify` does.
pub fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x20 => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let v = u32::from(c) as usize;
            out.push_str("\\u00");
            out.push(char::from(HEX[v >> 4]));
            out.push(char::from(HEX[v & 15]));
        }
        c => out.push(c),
    }
}

/// Appends a quoted, escaped JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        push_escaped_char(out, c);
    }
    out.push('"');
}

/// Appends `"key":` (keys here never need escaping).
pub fn push_key(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// Appends an unsigned integer.
pub fn push_u64(out: &mut String, v: u64) {
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}

/// Which kind of WebRTC session description a signal must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    /// `{"type":"offer","sdp":"..."}`
    Offer,
    /// `{"type":"answer","sdp":"..."}`
    Answer,
}

/// A WebRTC offer or answer kept as the exact JSON object text the peer sent.
///
/// The tracker only checks its shape (an object with `type` equal to the expected kind and a
/// string `sdp`) and forwards it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal(String);

#[derive(Deserialize)]
struct SignalShape<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    sdp: &'a RawValue,
}

impl Signal {
    /// Validates raw JSON text as a signal of the given kind.
    pub fn from_json(raw: &str, kind: SignalKind) -> Option<Self> {
        let shape: SignalShape<'_> = serde_json::from_str(raw).ok()?;
        let want = match kind {
            SignalKind::Offer => "offer",
            SignalKind::Answer => "answer",
        };
        (shape.kind == want && shape.sdp.get().starts_with('"')).then(|| Self(raw.to_owned()))
    }

    /// Builds a signal from a session description string.
    pub fn from_sdp(kind: SignalKind, sdp: &str) -> Self {
        let mut s = String::with_capacity(sdp.len() + 32);
        s.push_str("{\"type\":");
        push_str(
            &mut s,
            match kind {
                SignalKind::Offer => "offer",
                SignalKind::Answer => "answer",
            },
        );
        s.push_str(",\"sdp\":");
        push_str(&mut s, sdp);
        s.push('}');
        Self(s)
    }

    /// The JSON object text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The session description inside (unescaped).
    pub fn sdp(&self) -> String {
        serde_json::from_str::<SignalShape<'_>>(&self.0)
            .ok()
            .and_then(|s| serde_json::from_str::<String>(s.sdp.get()).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_json_stringify() {
        let mut s = String::new();
        push_str(&mut s, "a\"\\\u{0}\u{1f}\u{7f}\u{e9}\n\r\t\u{8}\u{c}");
        assert_eq!(s, "\"a\\\"\\\\\\u0000\\u001f\u{7f}\u{e9}\\n\\r\\t\\b\\f\"");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"\\\u{0}\u{1f}\u{7f}\u{e9}\n\r\t\u{8}\u{c}");
    }

    #[test]
    fn signal_shape_is_checked() {
        let offer = Signal::from_sdp(SignalKind::Offer, "v=0\r\n");
        assert_eq!(offer.sdp(), "v=0\r\n");
        assert!(Signal::from_json(offer.as_json(), SignalKind::Offer).is_some());
        assert!(Signal::from_json(offer.as_json(), SignalKind::Answer).is_none());
        assert!(Signal::from_json("{\"type\":\"offer\",\"sdp\":1}", SignalKind::Offer).is_none());
        assert!(Signal::from_json("\"offer\"", SignalKind::Offer).is_none());
        assert!(Signal::from_json("[]", SignalKind::Offer).is_none());
    }
}
