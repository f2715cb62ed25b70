//! AMF0 (Action Message Format 0) decoding, as far as RTMP command messages need it: numbers,
//! booleans, strings, objects, null/undefined, arrays and dates, depth- and size-bounded.
//!
//! Values borrow from the input; every string records its byte offset so that a caller can
//! rewrite it in place.

/// Deepest nesting of objects and arrays accepted.
pub const MAX_DEPTH: usize = 8;
/// Most values (properties and elements) in one command.
pub const MAX_VALUES: usize = 256;

/// Why AMF0 data was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmfError {
    /// The data ends inside a value.
    #[error("AMF0 value truncated")]
    Truncated,
    /// A type marker this decoder does not know (or one that is not allowed here).
    #[error("unsupported AMF0 type marker {0:#04x}")]
    UnsupportedType(u8),
    /// Objects or arrays nest deeper than [`MAX_DEPTH`].
    #[error("AMF0 values nest deeper than {MAX_DEPTH}")]
    TooDeep,
    /// More than [`MAX_VALUES`] values.
    #[error("more than {MAX_VALUES} AMF0 values")]
    TooManyValues,
    /// A string is not UTF-8.
    #[error("AMF0 string is not UTF-8")]
    NotUtf8,
}

/// A decoded AMF0 value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// IEEE 754 double.
    Number(f64),
    /// Boolean.
    Boolean(bool),
    /// A (long) string and the offset of its first byte in the input.
    String(&'a str, usize),
    /// An anonymous object or ECMA array: its properties in order.
    Object(Vec<(&'a str, Value<'a>)>),
    /// Null or undefined.
    Null,
    /// A strict array.
    Array(Vec<Value<'a>>),
    /// A date (milliseconds since the epoch).
    Date(f64),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Self::String(s, _) => Some(s),
            _ => None,
        }
    }

    /// The property `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        match self {
            Self::Object(props) => props.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A cursor over AMF0 bytes.
#[derive(Debug)]
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    values: usize,
}

impl<'a> Decoder<'a> {
    /// Starts at the first byte of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            values: 0,
        }
    }

    /// True when every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Decodes the next value.
    pub fn value(&mut self) -> Result<Value<'a>, AmfError> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Value<'a>, AmfError> {
        if depth > MAX_DEPTH {
            return Err(AmfError::TooDeep);
        }
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(AmfError::TooManyValues);
        }
        let marker = self.take(1)?[0];
        Ok(match marker {
            0x00 => Value::Number(self.f64()?),
            0x01 => Value::Boolean(self.take(1)?[0] != 0),
            0x02 => self.string(2)?,
            0x03 => Value::Object(self.properties(depth)?),
            0x05 | 0x06 => Value::Null,
            0x08 => {
                self.take(4)?; // ECMA array count: a hint only, the end marker decides
                Value::Object(self.properties(depth)?)
            }
            0x0a => {
                let n = self.u32()? as usize;
                if n > MAX_VALUES {
                    return Err(AmfError::TooManyValues);
                }
                let items = (0..n).map(|_| self.value_at(depth + 1)).collect::<Result<_, _>>()?;
                Value::Array(items)
            }
            0x0b => {
                let ms = self.f64()?;
                self.take(2)?; // time zone, unused
                Value::Date(ms)
            }
            0x0c => self.string(4)?,
            other => return Err(AmfError::UnsupportedType(other)),
        })
    }

    /// Properties up to the empty name followed by the object-end marker 0x09.
    fn properties(&mut self, depth: usize) -> Result<Vec<(&'a str, Value<'a>)>, AmfError> {
        let mut props = Vec::new();
        loop {
            let len = usize::from(self.u16()?);
            if len == 0 && self.data.get(self.pos) == Some(&0x09) {
                self.pos += 1;
                return Ok(props);
            }
            let name = std::str::from_utf8(self.take(len)?).map_err(|_| AmfError::NotUtf8)?;
            props.push((name, self.value_at(depth + 1)?));
        }
    }

    fn string(&mut self, len_bytes: usize) -> Result<Value<'a>, AmfError> {
        let len = if len_bytes == 2 {
            usize::from(self.u16()?)
        } else {
            self.u32()? as usize
        };
        let at = self.pos;
        let s = std::str::from_utf8(self.take(len)?).map_err(|_| AmfError::NotUtf8)?;
        Ok(Value::String(s, at))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], AmfError> {
        let end = self.pos.checked_add(n).ok_or(AmfError::Truncated)?;
        let bytes = self.data.get(self.pos..end).ok_or(AmfError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, AmfError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, AmfError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f64(&mut self) -> Result<f64, AmfError> {
        let b = self.take(8)?;
        Ok(f64::from_be_bytes(b.try_into().expect("take(8) returns 8 bytes")))
    }
}

/// Encodes a string value (marker, length, bytes); for tests and test clients.
pub fn encode_string(out: &mut Vec<u8>, s: &str) {
    out.push(0x02);
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a number value.
pub fn encode_number(out: &mut Vec<u8>, n: f64) {
    out.push(0x00);
    out.extend_from_slice(&n.to_be_bytes());
}

/// Encodes an object of string properties.
pub fn encode_object(out: &mut Vec<u8>, props: &[(&str, &str)]) {
    out.push(0x03);
    for (k, v) in props {
        out.extend_from_slice(&(k.len() as u16).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        encode_string(out, v);
    }
    out.extend_from_slice(&[0, 0, 0x09]);
}
