//! The Kerong KR-CU16 lock-controller board (16 locks with door and item sensors; up to 16
//! addresses on one RS-485 bus, 19200 8N1). A frame is `02 ADDR CMD 03 SUM`, SUM the low byte of the
//! sum of the four bytes before it; ADDR is the board in the high nibble and the lock in the low one.
//! A status answer is `02 ADDR 35 H1 H2 I1 I2 03 SUM`: H1/H2 the locks' hooks (locks 1–8, 9–16, least
//! significant bit first, 1 = closed), I1/I2 the infrared item sensors (1 = something inside).
//!
//! The board also knows "unlock all" (`33`). [`Command`] has no such variant, so no code path can
//! put it on the wire: no sequence of API calls opens more than the compartments it names.

use super::FrameError;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
const CMD_STATUS: u8 = 0x30;
const CMD_UNLOCK: u8 = 0x31;
const ANSWER_STATUS: u8 = 0x35;
/// Locks on one board, and boards on one bus.
pub const LOCKS: u8 = 16;
pub const BOARDS: u8 = 16;
/// Bytes of a status answer.
pub const STATUS_LEN: usize = 9;

/// What the driver may ask of a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Unlocks one lock (0–15) of one board (0–15).
    Unlock { board: u8, lock: u8 },
    /// Asks a board for its locks' and item sensors' states.
    Status { board: u8 },
}

/// The low byte of the sum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, b| sum.wrapping_add(*b))
}

impl Command {
    /// The five bytes of the command.
    pub fn encode(self) -> Result<[u8; 5], FrameError> {
        let (board, lock, cmd) = match self {
            Self::Unlock { board, lock } => (board, lock, CMD_UNLOCK),
            Self::Status { board } => (board, 0, CMD_STATUS),
        };
        if board >= BOARDS || lock >= LOCKS {
            return Err(FrameError::Address(board, lock));
        }
        let head = [STX, (board << 4) | lock, cmd, ETX];
        Ok([head[0], head[1], head[2], head[3], checksum(&head)])
    }
}

/// A board's answer to a status request (boards also answer an unlock with one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardStatus {
    pub board: u8,
    /// Per lock 0–15: its hook is closed.
    pub closed: [bool; LOCKS as usize],
    /// Per lock 0–15: the item sensor sees something inside.
    pub item: [bool; LOCKS as usize],
}

fn bits(low: u8, high: u8) -> [bool; LOCKS as usize] {
    let word = u16::from(low) | (u16::from(high) << 8);
    std::array::from_fn(|i| word & (1 << i) != 0)
}

/// Reads one status answer of exactly [`STATUS_LEN`] bytes; anything else is refused by name.
pub fn parse_status(frame: &[u8]) -> Result<BoardStatus, FrameError> {
    let &[stx, addr, kind, h1, h2, i1, i2, etx, sum] = frame else {
        return Err(FrameError::Length(frame.len(), STATUS_LEN));
    };
    if stx != STX || etx != ETX {
        return Err(FrameError::Framing);
    }
    let expected = checksum(&[stx, addr, kind, h1, h2, i1, i2, etx]);
    if sum != expected {
        return Err(FrameError::Checksum { found: sum, expected });
    }
    if kind != ANSWER_STATUS {
        return Err(FrameError::Kind(kind));
    }
    Ok(BoardStatus { board: addr >> 4, closed: bits(h1, h2), item: bits(i1, i2) })
}

/// A command as a board reads it off the line: the board side of the format, for the serial
/// simulator and for tests that watch the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub board: u8,
    pub lock: u8,
    /// The command byte as sent: `30` status, `31` unlock one, `33` unlock all, …
    pub command: u8,
}

/// The command byte of "unlock all", which this driver never sends.
pub const CMD_UNLOCK_ALL: u8 = 0x33;
/// Bytes of a command.
pub const COMMAND_LEN: usize = 5;

/// Reads one command of exactly [`COMMAND_LEN`] bytes.
pub fn parse_command(frame: &[u8]) -> Result<Request, FrameError> {
    let &[stx, addr, command, etx, sum] = frame else {
        return Err(FrameError::Length(frame.len(), COMMAND_LEN));
    };
    if stx != STX || etx != ETX {
        return Err(FrameError::Framing);
    }
    let expected = checksum(&[stx, addr, command, etx]);
    if sum != expected {
        return Err(FrameError::Checksum { found: sum, expected });
    }
    Ok(Request { board: addr >> 4, lock: addr & 0x0F, command })
}

/// A board's status answer: hooks (1 = closed) and item sensors, lock 0 first.
pub fn encode_status(board: u8, closed: &[bool; LOCKS as usize], item: &[bool; LOCKS as usize]) -> [u8; STATUS_LEN] {
    let word = |bits: &[bool; LOCKS as usize]| {
        bits.iter().enumerate().fold(0u16, |w, (i, on)| if *on { w | (1 << i) } else { w })
    };
    let ([h1, h2], [i1, i2]) = (word(closed).to_le_bytes(), word(item).to_le_bytes());
    let head = [STX, board << 4, ANSWER_STATUS, h1, h2, i1, i2, ETX];
    let [a, b, c, d, e, f, g, h] = head;
    [a, b, c, d, e, f, g, h, checksum(&head)]
}

/// Where the next status answer lies in what was read so far: bytes before an STX are line noise and
/// skipped. `Some((start, end))` once a whole answer's bytes are there; checking them is
/// [`parse_status`]'s.
pub fn next_answer(buffer: &[u8]) -> Option<(usize, usize)> {
    let start = buffer.iter().position(|b| *b == STX)?;
    let end = start + STATUS_LEN;
    (buffer.len() >= end).then_some((start, end))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_documented_bytes() {
        assert_eq!(Command::Unlock { board: 0, lock: 0 }.encode().unwrap(), [0x02, 0x00, 0x31, 0x03, 0x36]);
        assert_eq!(Command::Unlock { board: 1, lock: 5 }.encode().unwrap(), [0x02, 0x15, 0x31, 0x03, 0x4B]);
        assert_eq!(Command::Unlock { board: 15, lock: 15 }.encode().unwrap(), [0x02, 0xFF, 0x31, 0x03, 0x35]);
        assert_eq!(Command::Status { board: 2 }.encode().unwrap(), [0x02, 0x20, 0x30, 0x03, 0x55]);
        assert_eq!(Command::Unlock { board: 16, lock: 0 }.encode(), Err(FrameError::Address(16, 0)));
        assert_eq!(Command::Unlock { board: 0, lock: 16 }.encode(), Err(FrameError::Address(0, 16)));
    }

    #[test]
    fn no_command_is_unlock_all() {
        for board in 0..BOARDS {
            for lock in 0..LOCKS {
                for command in [Command::Unlock { board, lock }, Command::Status { board }] {
                    assert_ne!(command.encode().unwrap()[2], 0x33, "{command:?}");
                }
            }
        }
    }

    fn answer(addr: u8, h: [u8; 2], i: [u8; 2]) -> Vec<u8> {
        let mut frame = vec![0x02, addr, 0x35, h[0], h[1], i[0], i[1], 0x03];
        frame.push(checksum(&frame));
        frame
    }

    #[test]
    fn a_status_answer_names_each_lock_and_item() {
        // Board 3: locks 1 and 9 (0 and 8 counted from zero) closed, lock 16 holds an item.
        let status = parse_status(&answer(0x30, [0b0000_0001, 0b0000_0001], [0, 0b1000_0000])).unwrap();
        assert_eq!(status.board, 3);
        assert!(status.closed[0] && status.closed[8] && !status.closed[1] && !status.closed[15]);
        assert!(status.item[15] && !status.item[0]);
    }

    #[test]
    fn malformed_answers_are_refused_by_name() {
        let good = answer(0x00, [0xFF, 0xFF], [0, 0]);
        let mut bad_sum = good.clone();
        bad_sum[8] ^= 1;
        assert!(matches!(parse_status(&bad_sum), Err(FrameError::Checksum { .. })));
        assert_eq!(parse_status(&good[..8]), Err(FrameError::Length(8, 9)));
        let mut no_etx = good.clone();
        no_etx[7] = 0x04;
        no_etx[8] = checksum(&no_etx[..8]);
        assert_eq!(parse_status(&no_etx), Err(FrameError::Framing));
        let mut kind = good.clone();
        kind[2] = 0x31;
        kind[8] = checksum(&kind[..8]);
        assert_eq!(parse_status(&kind), Err(FrameError::Kind(0x31)));
    }

    #[test]
    fn the_board_side_reads_what_the_driver_sends_and_answers_what_it_parses() {
        for board in 0..BOARDS {
            for lock in 0..LOCKS {
                let frame = Command::Unlock { board, lock }.encode().unwrap();
                assert_eq!(parse_command(&frame).unwrap(), Request { board, lock, command: 0x31 });
            }
        }
        let mut bad = Command::Status { board: 1 }.encode().unwrap();
        bad[4] ^= 0x10;
        assert!(matches!(parse_command(&bad), Err(FrameError::Checksum { .. })));
        assert_eq!(parse_command(&bad[..4]), Err(FrameError::Length(4, 5)));
        let closed: [bool; 16] = std::array::from_fn(|i| i % 3 == 0);
        let item: [bool; 16] = std::array::from_fn(|i| i == 15);
        let frame = encode_status(7, &closed, &item);
        assert_eq!(frame, answer(0x70, [0b0100_1001, 0b1001_0010], [0, 0b1000_0000]).as_slice());
        let status = parse_status(&frame).unwrap();
        assert_eq!((status.board, status.closed, status.item), (7, closed, item));
    }

    #[test]
    fn an_answer_is_found_after_line_noise_and_only_when_whole() {
        let good = answer(0x10, [1, 0], [0, 0]);
        let mut buffer = vec![0xFF, 0x00, 0x7E];
        buffer.extend_from_slice(&good[..5]);
        assert_eq!(next_answer(&buffer), None, "not whole yet");
        buffer.extend_from_slice(&good[5..]);
        let (start, end) = next_answer(&buffer).unwrap();
        assert_eq!(parse_status(&buffer[start..end]).unwrap().board, 1);
    }
}
