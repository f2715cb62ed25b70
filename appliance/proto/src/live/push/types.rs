//! The planner's vocabulary: neighbour handles, bounds, decisions, errors and counters.

/// Hard cap of [`PushConfig::window`].
pub const MAX_WINDOW: usize = 256;
/// Hard cap of [`PushConfig::max_neighbours`].
pub const MAX_NEIGHBOURS: usize = 64;

/// The caller's handle of one neighbour (a link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NeighbourId(pub u64);

/// Bounds of a planner.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Segments tracked; adding one more makes the oldest leave (at most [`MAX_WINDOW`]).
    pub window: usize,
    /// Neighbours tracked (at most [`MAX_NEIGHBOURS`]).
    pub max_neighbours: usize,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            window: MAX_WINDOW,
            max_neighbours: MAX_NEIGHBOURS,
        }
    }
}

/// Why the planner refused an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// A bound above its hard cap, or zero.
    #[error("invalid push config: {0}")]
    Config(&'static str),
    /// `max_neighbours` neighbours are already tracked.
    #[error("too many neighbours")]
    TooManyNeighbours,
    /// A segment of 0 pieces or more than [`MAX_PIECES`](crate::live::codec::MAX_PIECES).
    #[error("segment of {0} pieces")]
    PieceCount(u16),
    /// A segment not newer than the newest in the window.
    #[error("segment {0} is not newer than the window")]
    NotNewer(u64),
}

/// Whether the box serves a neighbour's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestDecision {
    /// Send the block.
    Serve,
    /// Answer with `reject`.
    Reject(RejectReason),
    /// The piece is outside the segment: close the link (a broken rule).
    OutOfRange,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The segment is not in the window.
    UnknownSegment,
    /// The segment's push has not finished; the piece reaches the requester through the mesh.
    Pushing,
    /// Another neighbour of the box holds the piece.
    HeldByNeighbour,
}

/// What the planner counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Payload bytes pushed.
    pub bytes_pushed: u64,
    /// Payload bytes served on request.
    pub bytes_served: u64,
    /// Requests answered with `reject`.
    pub requests_refused: u64,
}
