//! Lock-controller boards: one module per board family, each the byte format of its frames and
//! nothing else (no I/O), so that a second family (Kerong CU48, Modbus-RTU relay boards) is one more
//! module beside the first.

pub mod bus;
pub mod kerong_cu16;

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
