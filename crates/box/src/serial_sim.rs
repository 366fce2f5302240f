//! The simulated box behind the same bytes as real hardware: a bus of Kerong KR-CU16 boards and a
//! slot's MRZ reader, each on a pseudo-terminal whose other end the serial driver opens as it would
//! open `/dev/ttyUSB0`.
//!
//! Its physical side is a [`SimulatedBox`] (doors, slots, faults), so the control calls that drive
//! the in-process simulator drive this one too. Compartment `c` hangs on board `(c − 1) / 16`, lock
//! `(c − 1) % 16`, as the driver's default wiring expects. Every command that reaches a board is
//! counted by its command byte, so a test can show what never went over the wire.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use abholbox_core::ids::{CompartmentNo, SlotNo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_serial::{SerialPort, SerialStream};

use crate::boards::kerong_cu16::{self, COMMAND_LEN, LOCKS};
use crate::simulated::{BoardFault, LOCKS_PER_BOARD, LockFault, Opening, SimulatedBox};
use crate::{BoxEvent, BoxReport, DriverError, ReportSink};

/// What the reader's transport is told to do with the document in the slot, one command a line.
pub const KEEP_COMMAND: &[u8] = b"KEEP\r";
pub const GIVE_BACK_COMMAND: &[u8] = b"RETURN\r";

/// How long a board stays silent after a lock that does not answer: longer than a driver's tries
/// at the unlock and the status after it.
const SILENCE_AFTER_NO_ANSWER: Duration = Duration::from_secs(2);

/// A serial simulator running on pseudo-terminals: one for the lock controllers' bus, one for each
/// slot's reader.
pub struct SerialSimulator {
    pub lock_path: String,
    /// The first slot's reader.
    pub reader_path: String,
    /// Every slot's reader, by slot.
    pub reader_paths: Vec<(SlotNo, String)>,
    pub sim: Arc<SimulatedBox>,
    commands: Arc<Mutex<BTreeMap<u8, u64>>>,
    /// The terminals' own ends are held open, so that a driver that closes and opens again finds
    /// them there.
    _terminals: Vec<SerialStream>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for SerialSimulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn pair() -> Result<(SerialStream, SerialStream, String), DriverError> {
    let (ours, theirs) = SerialStream::pair().map_err(|e| DriverError::Unreachable(format!("pseudo-terminal: {e}")))?;
    let path = theirs.name().ok_or_else(|| DriverError::Unreachable("pseudo-terminal without a name".into()))?;
    Ok((ours, theirs, path))
}

impl SerialSimulator {
    /// A box of `compartments` compartments with a reader for each of `slots` (at least one), each
    /// line on a fresh pseudo-terminal.
    pub fn start(box_id: abholbox_core::ids::BoxId, compartments: u32, slots: &[SlotNo]) -> Result<Self, DriverError> {
        let (tx, rx) = mpsc::channel(64);
        let sim = Arc::new(SimulatedBox::new(ReportSink::on_system_clock(box_id, tx), compartments, slots));
        let (lock_line, lock_end, lock_path) = pair()?;
        let commands = Arc::new(Mutex::new(BTreeMap::new()));
        let mut tasks = vec![tokio::spawn(serve_boards(lock_line, sim.clone(), commands.clone()))];
        let mut terminals = vec![lock_end];
        let mut reader_paths = Vec::new();
        let mut writers = BTreeMap::new();
        for slot in slots {
            let (line, end, path) = pair()?;
            let (read, write) = tokio::io::split(line);
            tasks.push(tokio::spawn(take_transport_commands(read, sim.clone(), *slot)));
            writers.insert(*slot, write);
            terminals.push(end);
            reader_paths.push((*slot, path));
        }
        tasks.push(tokio::spawn(send_reads(rx, writers, Arc::downgrade(&sim))));
        let reader_path = reader_paths
            .first()
            .map(|(_, p)| p.clone())
            .ok_or_else(|| DriverError::Unreachable("a simulated box needs a slot".into()))?;
        Ok(Self { lock_path, reader_path, reader_paths, sim, commands, _terminals: terminals, tasks })
    }

    /// How many commands with this command byte reached the boards.
    pub fn commands_seen(&self, command: u8) -> u64 {
        let seen = self.commands.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.get(&command).copied().unwrap_or(0)
    }
}

fn compartment(board: u8, lock: u8) -> Option<CompartmentNo> {
    CompartmentNo::new(u32::from(board) * LOCKS_PER_BOARD + u32::from(lock) + 1)
}

/// The board's status answer as the physical box stands; a door beyond the box reads closed.
fn status(sim: &SimulatedBox, board: u8) -> [u8; kerong_cu16::STATUS_LEN] {
    let closed: [bool; LOCKS as usize] = std::array::from_fn(|l| {
        let lock = u8::try_from(l).unwrap_or(0);
        !compartment(board, lock).is_some_and(|c| c.get() <= sim.compartments() && sim.sensed_open(c))
    });
    let item: [bool; LOCKS as usize] = std::array::from_fn(|l| {
        let lock = u8::try_from(l).unwrap_or(0);
        compartment(board, lock).is_some_and(|c| c.get() <= sim.compartments() && sim.item_inside(c))
    });
    kerong_cu16::encode_status(board, &closed, &item)
}

/// Appends what the line has next to `buffer`. While the driver's end is closed, it waits for it
/// to come back.
async fn read_more<R: tokio::io::AsyncRead + Unpin>(line: &mut R, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 64];
    loop {
        match line.read(&mut chunk).await {
            Ok(0) | Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            Ok(n) => {
                buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
                return;
            }
        }
    }
}

/// Answers commands as the boards of one bus would, with the faults set on the simulated box.
async fn serve_boards(mut line: SerialStream, sim: Arc<SimulatedBox>, commands: Arc<Mutex<BTreeMap<u8, u64>>>) {
    let mut silent_until: BTreeMap<u8, Instant> = BTreeMap::new();
    let mut buffer: Vec<u8> = Vec::new();
    // Doors an unlock opened, kept from hands until a status answer of their board has told the
    // driver: a driver confirms an unlock by the status it asks for next.
    let mut opened: BTreeMap<u8, Vec<Opening<'_>>> = BTreeMap::new();
    loop {
        read_more(&mut line, &mut buffer).await;
        while let Some(start) = buffer.iter().position(|b| *b == 0x02) {
            buffer.drain(..start);
            let Some(frame) = buffer.get(..COMMAND_LEN).map(<[u8]>::to_vec) else { break };
            let Ok(request) = kerong_cu16::parse_command(&frame) else {
                buffer.drain(..1);
                continue;
            };
            buffer.drain(..COMMAND_LEN);
            *commands.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(request.command).or_default() +=
                1;
            if silent_until.get(&request.board).is_some_and(|until| Instant::now() < *until) {
                continue;
            }
            let (answer, opening) = answer(&sim, request).await;
            if answer.is_none() && request.command == 0x31 {
                // A lock that does not answer takes its board down for a while, as a board that
                // browns out on a shorted coil: the driver cannot tell what became of the pulse.
                silent_until.insert(request.board, Instant::now() + SILENCE_AFTER_NO_ANSWER);
            }
            if let Some(answer) = answer {
                let _ = line.write_all(&answer).await;
                let _ = line.flush().await;
                if request.command == 0x30 {
                    opened.remove(&request.board);
                }
            }
            if let Some(opening) = opening {
                opened.entry(request.board).or_default().push(opening);
            }
        }
    }
}

/// What a board says to one request, if anything, and the door opening that an unlock made.
async fn answer(
    sim: &SimulatedBox,
    request: kerong_cu16::Request,
) -> (Option<[u8; kerong_cu16::STATUS_LEN]>, Option<Opening<'_>>) {
    let Some(first) = compartment(request.board, 0).filter(|c| c.get() <= sim.compartments()) else {
        return (None, None);
    };
    let board = sim.board_fault(first);
    if board == BoardFault::Silent {
        return (None, None);
    }
    let opening = match request.command {
        0x30 => None,
        0x31 => {
            let Some(c) = compartment(request.board, request.lock).filter(|c| c.get() <= sim.compartments()) else {
                return (None, None);
            };
            match sim.pulse_lock(c).await {
                Ok((LockFault::NoAnswer, _)) | Err(_) => return (None, None),
                Ok((_, opening)) => opening,
            }
        }
        _ => return (None, None),
    };
    let mut frame = status(sim, request.board);
    if board == BoardFault::Corrupt
        && let Some(sum) = frame.last_mut()
    {
        *sum ^= 0x5A;
    }
    (Some(frame), opening)
}

/// Whether a reader would read this text as a machine-readable zone: two or three lines of one
/// length (30, 36 or 44) in the OCR-B set.
fn readable(mrz: &str) -> bool {
    let lines: Vec<&str> = mrz.lines().map(str::trim).collect();
    let width = lines.first().map_or(0, |l| l.len());
    matches!((lines.len(), width), (3, 30) | (2, 36) | (2, 44))
        && lines
            .iter()
            .all(|l| l.len() == width && l.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<'))
}

/// Sends each document a simulated slot reads down that slot's reader line, a line of the zone at a
/// time, each ended by CR LF; door events are for the lock boards to tell, so they are dropped here.
async fn send_reads(
    mut reads: mpsc::Receiver<BoxReport>,
    mut lines: BTreeMap<SlotNo, tokio::io::WriteHalf<SerialStream>>,
    sim: std::sync::Weak<SimulatedBox>,
) {
    while let Some(report) = reads.recv().await {
        if let BoxEvent::DocumentRead { mrz, slot } = report.event
            && let Some(line) = lines.get_mut(&slot)
        {
            if !readable(&mrz) {
                // As slot readers with a transport do: what cannot be read goes back at once, and
                // nothing is sent.
                if let Some(sim) = sim.upgrade() {
                    let _ = sim.take_document(slot, false);
                }
                continue;
            }
            let mut bytes = Vec::with_capacity(mrz.len() + 8);
            for l in mrz.lines() {
                bytes.extend_from_slice(l.trim().as_bytes());
                bytes.extend_from_slice(b"\r\n");
            }
            let _ = line.write_all(&bytes).await;
            let _ = line.flush().await;
        }
    }
}

/// Takes the driver's `KEEP` and `RETURN` lines and moves the document in the slot accordingly.
async fn take_transport_commands(mut line: tokio::io::ReadHalf<SerialStream>, sim: Arc<SimulatedBox>, slot: SlotNo) {
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        read_more(&mut line, &mut buffer).await;
        while let Some(end) = buffer.iter().position(|b| *b == b'\r') {
            // Line noise before a command is not part of it.
            let command: Vec<u8> = buffer.drain(..=end).collect();
            if command.ends_with(KEEP_COMMAND) {
                let _ = sim.take_document(slot, true);
            } else if command.ends_with(GIVE_BACK_COMMAND) {
                let _ = sim.take_document(slot, false);
            }
        }
    }
}
