//! One RS-485 bus of Kerong KR-CU16 boards: one command at a time, input flushed before each, every
//! answer awaited for a bounded time and a command tried a bounded number of times. An unlock is
//! confirmed by the board's status afterwards, so the caller learns "opened", "refused" (the hook
//! stayed closed) or, when the board never answered, that the outcome is unknown.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

use async_trait::async_trait;

use super::kerong_cu16::{BoardStatus, Command, LOCKS, next_answer, parse_status};
use super::{BusError, LockBus, Locks, UnlockOutcome};

/// A bus on a serial port (or anything that reads and writes bytes).
pub struct KerongBus<P> {
    port: Mutex<P>,
    timeout: Duration,
    tries: u32,
}

impl<P: AsyncRead + AsyncWrite + Unpin + Send> KerongBus<P> {
    /// `timeout` per answer, `tries` per command (at least one).
    pub fn new(port: P, timeout: Duration, tries: u32) -> Self {
        Self { port: Mutex::new(port), timeout, tries: tries.max(1) }
    }

    /// The board's locks and item sensors.
    pub async fn status(&self, board: u8) -> Result<BoardStatus, BusError> {
        let mut port = self.port.lock().await;
        self.ask(&mut port, Command::Status { board }, board).await
    }

    /// Unlocks one lock and asks the board whether its hook opened.
    pub async fn unlock(&self, board: u8, lock: u8) -> Result<UnlockOutcome, BusError> {
        let status = self.unlock_then_status(board, lock).await?;
        Ok(UnlockOutcome::of(&status.closed, lock))
    }

    /// Unlocks one lock and returns the board's status afterwards.
    async fn unlock_then_status(&self, board: u8, lock: u8) -> Result<BoardStatus, BusError> {
        let mut port = self.port.lock().await;
        // The unlock's own answer is a status taken at the moment of the pulse; the status asked
        // afterwards is what counts.
        let _ = self.ask(&mut port, Command::Unlock { board, lock }, board).await;
        self.ask(&mut port, Command::Status { board }, board).await
    }

    /// Sends a command and reads the board's status answer, trying again after a timeout or a
    /// malformed answer.
    async fn ask(&self, port: &mut P, command: Command, board: u8) -> Result<BoardStatus, BusError> {
        let bytes = command.encode()?;
        for _ in 0..self.tries {
            flush_input(port).await;
            port.write_all(&bytes).await.map_err(|e| BusError::Io(e.to_string()))?;
            port.flush().await.map_err(|e| BusError::Io(e.to_string()))?;
            match tokio::time::timeout(self.timeout, read_answer(port)).await {
                Ok(Ok(status)) if status.board == board => return Ok(status),
                Ok(Err(BusError::Io(e))) => return Err(BusError::Io(e)),
                _ => {}
            }
        }
        Err(BusError::NoAnswer(board))
    }
}

#[async_trait]
impl<P: AsyncRead + AsyncWrite + Unpin + Send> LockBus for KerongBus<P> {
    fn locks_per_board(&self) -> u8 {
        LOCKS
    }

    async fn status(&self, board: u8) -> Result<Locks, BusError> {
        let status = KerongBus::status(self, board).await?;
        Ok(Locks { closed: status.closed.to_vec(), item: status.item.to_vec() })
    }

    async fn unlock(&self, board: u8, lock: u8) -> Result<Locks, BusError> {
        let status = self.unlock_then_status(board, lock).await?;
        Ok(Locks { closed: status.closed.to_vec(), item: status.item.to_vec() })
    }
}

/// Drops whatever the line holds from before (a late answer, noise).
async fn flush_input<P: AsyncRead + Unpin>(port: &mut P) {
    let mut buf = [0u8; 256];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), port.read(&mut buf)).await {
        if n == 0 {
            return;
        }
    }
}

/// Reads until a whole status answer is there; a malformed one is an error, to be asked again.
async fn read_answer<P: AsyncRead + Unpin>(port: &mut P) -> Result<BoardStatus, BusError> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        let n = port.read(&mut chunk).await.map_err(|e| BusError::Io(e.to_string()))?;
        if n == 0 {
            return Err(BusError::Io("the line closed".into()));
        }
        buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some((start, end)) = next_answer(&buffer) {
            return Ok(parse_status(buffer.get(start..end).unwrap_or_default())?);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use tokio::io::DuplexStream;

    use super::super::kerong_cu16::checksum;
    use super::*;

    /// A board on the other end of the line, speaking the same bytes; it can misbehave.
    #[derive(Clone, Default)]
    struct Board {
        closed: Arc<std::sync::Mutex<u16>>,
        stuck: Arc<std::sync::Mutex<u16>>,
        silent_for: Arc<AtomicU32>,
        corrupt_for: Arc<AtomicU32>,
        unlock_all_seen: Arc<AtomicU32>,
    }

    impl Board {
        fn spawn(&self, mut line: DuplexStream) {
            let board = self.clone();
            tokio::spawn(async move {
                let mut frame = [0u8; 5];
                while line.read_exact(&mut frame).await.is_ok() {
                    if frame[2] == 0x33 {
                        board.unlock_all_seen.fetch_add(1, Ordering::SeqCst);
                    }
                    if frame[4] != checksum(&frame[..4]) {
                        continue;
                    }
                    if frame[2] == 0x31 {
                        let lock = frame[1] & 0x0F;
                        if *board.stuck.lock().unwrap() & (1 << lock) == 0 {
                            *board.closed.lock().unwrap() &= !(1 << lock);
                        }
                    }
                    if board.silent_for.load(Ordering::SeqCst) > 0 {
                        board.silent_for.fetch_sub(1, Ordering::SeqCst);
                        continue;
                    }
                    let hooks = *board.closed.lock().unwrap();
                    let mut answer = vec![0x02, frame[1] & 0xF0, 0x35, hooks as u8, (hooks >> 8) as u8, 0, 0, 0x03];
                    answer.push(checksum(&answer));
                    if board.corrupt_for.load(Ordering::SeqCst) > 0 {
                        board.corrupt_for.fetch_sub(1, Ordering::SeqCst);
                        answer[8] ^= 0xFF;
                    }
                    let _ = line.write_all(&answer).await;
                }
            });
        }
    }

    fn bus(board: &Board) -> KerongBus<DuplexStream> {
        *board.closed.lock().unwrap() = 0xFFFF;
        let (ours, theirs) = tokio::io::duplex(256);
        board.spawn(theirs);
        KerongBus::new(ours, Duration::from_millis(50), 3)
    }

    #[tokio::test]
    async fn an_unlock_is_confirmed_by_the_boards_status() {
        let board = Board::default();
        let bus = bus(&board);
        assert!(bus.status(0).await.unwrap().closed.iter().all(|c| *c));
        assert_eq!(bus.unlock(0, 5).await.unwrap(), UnlockOutcome::Opened);
        let status = bus.status(0).await.unwrap();
        assert!(!status.closed[5] && status.closed[4] && status.closed[6], "only lock 5 opened");
        assert_eq!(board.unlock_all_seen.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_stuck_lock_is_refused_and_a_silent_board_is_an_unknown_outcome() {
        let board = Board::default();
        let bus = bus(&board);
        *board.stuck.lock().unwrap() = 1 << 3;
        assert_eq!(bus.unlock(0, 3).await.unwrap(), UnlockOutcome::Refused);
        board.silent_for.store(100, Ordering::SeqCst);
        assert_eq!(bus.unlock(0, 4).await, Err(BusError::NoAnswer(0)), "it may have opened: unknown");
        assert_eq!(bus.status(0).await, Err(BusError::NoAnswer(0)));
        board.silent_for.store(0, Ordering::SeqCst);
        assert!(!bus.status(0).await.unwrap().closed[4], "answering again, it says lock 4 did open");
    }

    #[tokio::test]
    async fn a_corrupt_or_missing_answer_is_asked_again_within_the_bounded_tries() {
        let board = Board::default();
        let bus = bus(&board);
        board.corrupt_for.store(2, Ordering::SeqCst);
        assert!(bus.status(0).await.is_ok(), "the third try gets a good answer");
        board.silent_for.store(2, Ordering::SeqCst);
        assert!(bus.status(0).await.is_ok());
        board.corrupt_for.store(3, Ordering::SeqCst);
        assert_eq!(bus.status(0).await, Err(BusError::NoAnswer(0)), "three bad answers: given up");
    }
}
