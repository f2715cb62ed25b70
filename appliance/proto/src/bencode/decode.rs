//! Bounded bencode decoder over a byte slice.

use std::collections::BTreeMap;

use super::Value;

/// Deepest nesting of lists and dictionaries the decoder accepts.
pub const MAX_DEPTH: usize = 32;

/// Why a byte slice is not (yet) a bencoded value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ends before the value does: feed more bytes.
    #[error("need more bytes")]
    Incomplete,
    /// A byte that cannot start or continue a value here.
    #[error("unexpected byte {byte:#04x} at offset {at}")]
    UnexpectedByte {
        /// Offset of the byte.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// An integer or length that is empty, has leading zeros, is `-0` or overflows.
    #[error("invalid number at offset {at}")]
    InvalidNumber {
        /// Offset where the number starts.
        at: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} at offset {at}")]
    TooDeep {
        /// Offset of the container that is too deep.
        at: usize,
    },
    /// A dictionary repeats a key.
    #[error("duplicate dictionary key at offset {at}")]
    DuplicateKey {
        /// Offset of the repeated key.
        at: usize,
    },
    /// Bytes follow a complete value where none may.
    #[error("{count} trailing bytes after the value")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// Decodes exactly one value filling all of `buf`.
pub fn decode(buf: &[u8]) -> Result<Value, DecodeError> {
    let (value, used) = decode_prefix(buf)?;
    match buf.len() - used {
        0 => Ok(value),
        count => Err(DecodeError::TrailingBytes { count }),
    }
}

/// Decodes the value at the start of `buf`, returning it and the number of bytes it used.
pub fn decode_prefix(buf: &[u8]) -> Result<(Value, usize), DecodeError> {
    let mut d = Decoder { buf, pos: 0 };
    let v = d.value(0)?;
    Ok((v, d.pos))
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Decoder<'_> {
    fn peek(&self) -> Result<u8, DecodeError> {
        self.buf.get(self.pos).copied().ok_or(DecodeError::Incomplete)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        match self.peek()? {
            b'i' => {
                self.pos += 1;
                let n = self.number(b'e', true)?;
                Ok(Value::Int(n))
            }
            b'0'..=b'9' => self.byte_string().map(|b| Value::Bytes(b.to_vec())),
            b'l' | b'd' if depth >= MAX_DEPTH => Err(DecodeError::TooDeep { at: self.pos }),
            b'l' => self.list(depth),
            b'd' => self.dict(depth),
            byte => Err(DecodeError::UnexpectedByte { at: self.pos, byte }),
        }
    }

    /// Reads digits up to `end` (consumed); rejects leading zeros and `-0`.
    fn number(&mut self, end: u8, signed: bool) -> Result<i64, DecodeError> {
        let start = self.pos;
        let rel = self.buf[start..].iter().position(|&b| b == end);
        let Some(rel) = rel else {
            return self.incomplete_number(start, signed);
        };
        let text = &self.buf[start..start + rel];
        let invalid = DecodeError::InvalidNumber { at: start };
        let digits = match text {
            [b'-', rest @ ..] if signed => rest,
            _ => text,
        };
        let bad_zero = digits.len() > 1 && digits[0] == b'0' || text == b"-0";
        if digits.is_empty() || bad_zero || !digits.iter().all(u8::is_ascii_digit) {
            return Err(invalid);
        }
        let s = std::str::from_utf8(text).map_err(|_| invalid.clone())?;
        let n = s.parse::<i64>().map_err(|_| invalid)?;
        self.pos = start + rel + 1;
        Ok(n)
    }

    /// No terminator yet: malformed if what is there cannot begin a number, else incomplete.
    fn incomplete_number(&self, start: usize, signed: bool) -> Result<i64, DecodeError> {
        let text = &self.buf[start..];
        let digits = match text {
            [b'-', rest @ ..] if signed => rest,
            _ => text,
        };
        match digits.iter().position(|b| !b.is_ascii_digit()) {
            Some(i) => Err(DecodeError::UnexpectedByte {
                at: start + (text.len() - digits.len()) + i,
                byte: digits[i],
            }),
            None if digits.len() > 19 => Err(DecodeError::InvalidNumber { at: start }),
            None => Err(DecodeError::Incomplete),
        }
    }

    fn byte_string(&mut self) -> Result<&[u8], DecodeError> {
        let at = self.pos;
        let len = self.number(b':', false)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::InvalidNumber { at })?;
        let end = self.pos.checked_add(len).ok_or(DecodeError::InvalidNumber { at })?;
        let bytes = self.buf.get(self.pos..end).ok_or(DecodeError::Incomplete)?;
        self.pos = end;
        Ok(bytes)
    }

    fn list(&mut self, depth: usize) -> Result<Value, DecodeError> {
        self.pos += 1;
        let mut items = Vec::new();
        while self.peek()? != b'e' {
            items.push(self.value(depth + 1)?);
        }
        self.pos += 1;
        Ok(Value::List(items))
    }

    fn dict(&mut self, depth: usize) -> Result<Value, DecodeError> {
        self.pos += 1;
        let mut map = BTreeMap::new();
        loop {
            let byte = self.peek()?;
            if byte == b'e' {
                break;
            }
            if !byte.is_ascii_digit() {
                return Err(DecodeError::UnexpectedByte { at: self.pos, byte });
            }
            let at = self.pos;
            let key = self.byte_string()?.to_vec();
            let value = self.value(depth + 1)?;
            if map.insert(key, value).is_some() {
                return Err(DecodeError::DuplicateKey { at });
            }
        }
        self.pos += 1;
        Ok(Value::Dict(map))
    }
}
