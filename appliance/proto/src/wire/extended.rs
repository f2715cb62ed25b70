//! BEP 10 extended handshake and BEP 9 ut_metadata payloads (bencoded dict + optional raw tail).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::WireError;
use crate::bencode::{decode, decode_prefix, Value};

/// ut_metadata serves the info dictionary in pieces of this size.
pub const METADATA_PIECE_LEN: usize = 16 * 1024;

/// The BEP 10 handshake dictionary (fields this box uses; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtendedHandshake {
    /// Extension name -> the id the sender wants to receive it under (0 = disabled).
    pub m: BTreeMap<String, u8>,
    /// Size of the info dictionary, for ut_metadata.
    pub metadata_size: Option<u64>,
    /// How many outstanding requests the sender queues.
    pub reqq: Option<u32>,
    /// Client name and version.
    pub v: Option<String>,
}

impl ExtendedHandshake {
    /// Decodes the payload of extended message 0.
    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        let dict = decode(payload).map_err(|_| WireError::BadExtended("handshake is not bencode"))?;
        let m = dict.get("m").and_then(Value::as_dict);
        let m = m.ok_or(WireError::BadExtended("handshake lacks an m dictionary"))?;
        let m = m
            .iter()
            .filter_map(|(k, v)| {
                let id = u8::try_from(v.as_int()?).ok()?;
                Some((String::from_utf8(k.clone()).ok()?, id))
            })
            .collect();
        let int = |k: &str| dict.get(k).and_then(Value::as_int);
        Ok(ExtendedHandshake {
            m,
            metadata_size: int("metadata_size").and_then(|n| u64::try_from(n).ok()),
            reqq: int("reqq").and_then(|n| u32::try_from(n).ok()),
            v: dict
                .get("v")
                .and_then(Value::as_bytes)
                .map(|b| String::from_utf8_lossy(b).into()),
        })
    }

    /// The bencoded dictionary.
    pub fn encode(&self) -> Vec<u8> {
        let m = self
            .m
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), Value::Int(i64::from(*v))));
        let mut entries = vec![("m", Value::Dict(m.collect()))];
        if let Some(size) = self.metadata_size {
            entries.push(("metadata_size", Value::Int(size as i64)));
        }
        if let Some(reqq) = self.reqq {
            entries.push(("reqq", Value::Int(i64::from(reqq))));
        }
        if let Some(v) = &self.v {
            entries.push(("v", Value::bytes(v)));
        }
        Value::dict(entries).encode()
    }
}

/// A BEP 9 ut_metadata message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataMsg {
    /// `msg_type` 0: send me metadata piece `piece`.
    Request {
        /// Metadata piece index.
        piece: u32,
    },
    /// `msg_type` 1: metadata piece `piece` of `total_size`, the bytes after the dict.
    Data {
        /// Metadata piece index.
        piece: u32,
        /// Size of the whole info dictionary.
        total_size: u64,
        /// The piece's bytes.
        data: Bytes,
    },
    /// `msg_type` 2: I will not send piece `piece`.
    Reject {
        /// Metadata piece index.
        piece: u32,
    },
}

impl MetadataMsg {
    /// Decodes an ut_metadata payload.
    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        let (dict, used) = decode_prefix(payload).map_err(|_| WireError::BadExtended("ut_metadata is not bencode"))?;
        let int = |k: &str| dict.get(k).and_then(Value::as_int);
        let piece = int("piece").and_then(|n| u32::try_from(n).ok());
        let piece = piece.ok_or(WireError::BadExtended("ut_metadata lacks a valid piece"))?;
        match int("msg_type") {
            Some(0) => Ok(MetadataMsg::Request { piece }),
            Some(1) => {
                let total = int("total_size").and_then(|n| u64::try_from(n).ok());
                let total_size = total.ok_or(WireError::BadExtended("data lacks total_size"))?;
                let data = Bytes::copy_from_slice(&payload[used..]);
                Ok(MetadataMsg::Data {
                    piece,
                    total_size,
                    data,
                })
            }
            Some(2) => Ok(MetadataMsg::Reject { piece }),
            _ => Err(WireError::BadExtended("unknown ut_metadata msg_type")),
        }
    }

    /// The payload: bencoded dict, then the data for [`MetadataMsg::Data`].
    pub fn encode(&self) -> Vec<u8> {
        let (kind, piece) = match self {
            MetadataMsg::Request { piece } => (0, piece),
            MetadataMsg::Data { piece, .. } => (1, piece),
            MetadataMsg::Reject { piece } => (2, piece),
        };
        let mut entries = vec![("msg_type", Value::Int(kind)), ("piece", Value::Int(i64::from(*piece)))];
        if let MetadataMsg::Data { total_size, .. } = self {
            entries.push(("total_size", Value::Int(*total_size as i64)));
        }
        let mut out = Value::dict(entries).encode();
        if let MetadataMsg::Data { data, .. } = self {
            out.extend_from_slice(data);
        }
        out
    }
}
