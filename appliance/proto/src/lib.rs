//! Pure protocol code of the VenueBox appliance: codecs and state machines that take bytes and
//! time as input and never touch a socket, a file or a clock (see docs/decisions/0001).
#![deny(missing_docs)]

pub mod bencode;
pub mod http_path;
pub mod live;
pub mod m3u8;
pub mod media_time;
pub mod range;
pub mod rtmp;
pub mod s3_error;
pub mod seed;
pub mod session;
pub mod signal;
pub mod torrent;
pub mod tracker;
pub mod wire;
