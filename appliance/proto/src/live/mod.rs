//! The live mesh's wire (docs/LIVE-MESH.md): the `vb_live` BEP 10 extension codec, a sans-IO
//! state machine for one persistent link, and the box's super-seeding push planner.

pub mod codec;
mod error;
pub mod link;
pub mod pieces;
pub mod push;
pub mod stream;

#[cfg(test)]
mod codec_tests;

pub use codec::{BlockKey, LiveError, LiveMsg, EXTENSION_NAME, MAX_BLOCK, MAX_FRAME, MAX_PIECES, MAX_SEQ};
pub use pieces::PieceBits;
pub use stream::stream_info_hash;
