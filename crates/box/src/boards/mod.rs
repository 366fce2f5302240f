//! Lock-controller boards: one module per board family, each the byte format of its frames and
//! nothing else (no I/O), so that a second family (Kerong CU48, Modbus-RTU relay boards) is one more
//! module beside the first.

pub mod bus;
pub mod kerong_cu16;

use async_trait::async_trait;

/// What a board reports of its locks, lock by lock from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locks {
    /// The lock's hook is closed (its door shut and latched).
    pub closed: Vec<bool>,
    /// The item sensor sees something inside; boards without such sensors report all `false`.
    pub item: Vec<bool>,
}

/// What became of an unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockOutcome {
    /// The board reports the hook open.
    Opened,
    /// The board answers, and the hook is still closed: the lock is stuck.
    Refused,
}

impl UnlockOutcome {
    /// What a board's hooks after the pulse say of lock `lock`.
    pub fn of(closed: &[bool], lock: u8) -> Self {
        if closed.get(usize::from(lock)).copied().unwrap_or(true) { Self::Refused } else { Self::Opened }
    }
}

/// Why a bus could not tell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// No valid answer within the timeout, however often asked: the outcome of an unlock is unknown.
    #[error("board {0} did not answer")]
    NoAnswer(u8),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("the serial line failed: {0}")]
    Io(String),
}

/// One bus of lock-controller boards of one family, as the box driver drives it. A second family
/// implements this and nothing above it changes.
#[async_trait]
pub trait LockBus: Send + Sync {
    /// Locks on each board of this family.
    fn locks_per_board(&self) -> u8;
    /// The board's locks and item sensors.
    async fn status(&self, board: u8) -> Result<Locks, BusError>;
    /// Unlocks one lock of one board and returns the board's locks afterwards, which tell whether
    /// its hook opened.
    async fn unlock(&self, board: u8, lock: u8) -> Result<Locks, BusError>;
}

/// A frame a board sent that is not what its family's format allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame of {0} bytes where {1} were expected")]
    Length(usize, usize),
    #[error("the frame does not start with STX and end with ETX where it should")]
    Framing,
    #[error("checksum {found:#04x}, expected {expected:#04x}")]
    Checksum { found: u8, expected: u8 },
    #[error("an answer of type {0:#04x} where a status was expected")]
    Kind(u8),
    #[error("board {0} or lock {1} is outside the addressable range")]
    Address(u8, u8),
}
