//! A box on serial lines: buses of lock-controller boards and the slots' document readers.
//!
//! Each bus is watched by its own task that asks every board for its locks in turn and turns what
//! changed into door events; an unlock goes through the same gate, so the watcher never reads a
//! status from before an opening as news after it. Each reader has its own task too, so a slow or
//! silent line delays nothing but itself, and one box's hardware never another box's.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use abholbox_core::ids::{CompartmentNo, SlotNo};
use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::boards::{BusError, LockBus, Locks, UnlockOutcome};
use crate::reader::{Assembler, Profile};
use crate::{BoxDriver, BoxEvent, DoorState, DriverError, ReportSink};

/// Opens a serial device (or a pseudo-terminal standing for one) at `baud`, 8N1.
pub fn open_port(path: &str, baud: u32) -> Result<tokio_serial::SerialStream, DriverError> {
    use tokio_serial::SerialPortBuilderExt;
    tokio_serial::new(path, baud)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .open_native_async()
        .map_err(|e| DriverError::Unreachable(format!("{path}: {e}")))
}

/// A box's serial hardware as the configuration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSetup {
    pub buses: Vec<BusPort>,
    pub readers: Vec<ReaderPort>,
    /// How long a board's answer is awaited, and how often a command is tried.
    pub answer_timeout: Duration,
    pub tries: u32,
    pub watch: Watch,
}

/// A bus of Kerong KR-CU16 boards on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusPort {
    pub path: String,
    pub baud: u32,
    pub first_compartment: u32,
    pub boards: u8,
    pub item_sensors: bool,
}

impl BusPort {
    /// The compartment the last lock of the last board opens.
    pub fn last_compartment(&self) -> u32 {
        self.first_compartment + u32::from(self.boards) * u32::from(crate::boards::kerong_cu16::LOCKS) - 1
    }
}

/// A slot's reader on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderPort {
    pub slot: SlotNo,
    pub path: String,
    pub baud: u32,
    pub profile: Profile,
    pub keep: Vec<u8>,
    pub give_back: Vec<u8>,
}

/// Opens every port of `setup` and starts the box on them; a port that cannot be opened is named.
pub fn open_serial_box(
    sink: ReportSink,
    compartments: u32,
    setup: &SerialSetup,
) -> Result<Arc<SerialBox<tokio_serial::SerialStream>>, DriverError> {
    let mut buses = Vec::new();
    for b in &setup.buses {
        let port = open_port(&b.path, b.baud)?;
        let bus = crate::boards::bus::KerongBus::new(port, setup.answer_timeout, setup.tries);
        buses.push(BusWiring {
            name: b.path.clone(),
            bus: Arc::new(bus),
            first_compartment: b.first_compartment,
            boards: b.boards,
            item_sensors: b.item_sensors,
        });
    }
    let mut readers = Vec::new();
    for r in &setup.readers {
        readers.push(ReaderWiring {
            slot: r.slot,
            port: open_port(&r.path, r.baud)?,
            profile: r.profile.clone(),
            keep: r.keep.clone(),
            give_back: r.give_back.clone(),
        });
    }
    SerialBox::start(sink, compartments, buses, readers, setup.watch).map_err(DriverError::Unreachable)
}

/// One bus of boards and the compartments it drives: board `b`'s lock `l` is compartment
/// `first_compartment + b × locks per board + l`.
pub struct BusWiring {
    /// For staff and logs: the port's path.
    pub name: String,
    pub bus: Arc<dyn LockBus>,
    pub first_compartment: u32,
    /// Boards at addresses 0 to `boards - 1`.
    pub boards: u8,
    /// The compartments have item sensors: a door-closed event says whether something is inside.
    pub item_sensors: bool,
}

/// One slot's reader on its line, with the bytes that tell the slot's transport what to do.
pub struct ReaderWiring<P> {
    pub slot: SlotNo,
    pub port: P,
    pub profile: Profile,
    /// Sent to drop the document into the bin.
    pub keep: Vec<u8>,
    /// Sent to give the document back.
    pub give_back: Vec<u8>,
}

/// How often and how patiently the buses are watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    /// The pause after each round over a bus's boards.
    pub poll_interval: Duration,
}

impl Default for Watch {
    fn default() -> Self {
        Self { poll_interval: Duration::from_millis(100) }
    }
}

/// What the watcher last learnt of one board.
#[derive(Debug, Clone, Default)]
struct Board {
    /// `None` until its first answer; then whether it answered at its last look.
    answering: Option<bool>,
    closed: Vec<bool>,
}

struct Bus {
    wiring: BusWiring,
    /// Held across a command and the update of `boards`, by the watcher and by an unlock alike.
    gate: Mutex<()>,
    boards: std::sync::Mutex<Vec<Board>>,
}

impl Bus {
    fn compartment(&self, board: u8, lock: u8) -> Option<CompartmentNo> {
        let per = u32::from(self.wiring.bus.locks_per_board());
        CompartmentNo::new(self.wiring.first_compartment + u32::from(board) * per + u32::from(lock))
    }

    fn compartments_of(&self, board: u8) -> Vec<CompartmentNo> {
        (0..self.wiring.bus.locks_per_board()).filter_map(|l| self.compartment(board, l)).collect()
    }

    fn board_name(&self, board: u8) -> String {
        format!("{} board {board}", self.wiring.name)
    }

    fn with_boards<T>(&self, f: impl FnOnce(&mut Vec<Board>) -> T) -> T {
        let mut guard = self.boards.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Takes a board's answer (or silence) and returns what changed, as events.
    fn learn(&self, board: u8, answer: Result<Locks, BusError>) -> Vec<BoxEvent> {
        let name = self.board_name(board);
        let compartments = self.compartments_of(board);
        self.with_boards(|boards| {
            let Some(known) = boards.get_mut(usize::from(board)) else { return Vec::new() };
            match answer {
                Err(e) => {
                    let was = known.answering.replace(false);
                    if was == Some(false) {
                        return Vec::new();
                    }
                    tracing::warn!(board = %name, error = %e, "lock controller does not answer");
                    vec![BoxEvent::BoardSilent { board: name, compartments }]
                }
                Ok(Locks { closed, item }) => {
                    let was = known.answering.replace(true);
                    let mut events = Vec::new();
                    if was == Some(false) {
                        events.push(BoxEvent::BoardAnswers { board: name.clone() });
                    }
                    if was.is_some() {
                        for (l, ((c, now), before)) in compartments.iter().zip(&closed).zip(&known.closed).enumerate() {
                            match (before, now) {
                                (true, false) => events.push(BoxEvent::DoorOpened { compartment: *c }),
                                (false, true) => {
                                    let item_inside =
                                        self.wiring.item_sensors.then(|| item.get(l).copied().unwrap_or(false));
                                    events.push(BoxEvent::DoorClosed { compartment: *c, item_inside });
                                }
                                _ => {}
                            }
                        }
                    } else {
                        let open: Vec<String> = compartments
                            .iter()
                            .zip(&closed)
                            .filter(|(_, closed)| !**closed)
                            .map(|(c, _)| c.to_string())
                            .collect();
                        if !open.is_empty() {
                            events.push(BoxEvent::Fault {
                                detail: format!("{name}: doors open at start: {}", open.join(", ")),
                            });
                        }
                    }
                    known.closed = closed;
                    events
                }
            }
        })
    }

    fn door(&self, board: u8, lock: u8) -> DoorState {
        self.with_boards(|boards| match boards.get(usize::from(board)) {
            Some(Board { answering: Some(true), closed }) => match closed.get(usize::from(lock)) {
                Some(true) => DoorState::Closed,
                Some(false) => DoorState::Open,
                None => DoorState::Unknown,
            },
            _ => DoorState::Unknown,
        })
    }

    fn answering(&self, board: u8) -> bool {
        self.with_boards(|boards| boards.get(usize::from(board)).is_some_and(|b| b.answering == Some(true)))
    }
}

struct Slot<P> {
    writer: Mutex<WriteHalf<P>>,
    holds_document: Arc<AtomicBool>,
    keep: Vec<u8>,
    give_back: Vec<u8>,
}

/// A box whose locks hang on RS-485 buses and whose slots' readers send over serial lines.
pub struct SerialBox<P> {
    buses: Vec<Arc<Bus>>,
    /// Per compartment: its bus, board and lock.
    wiring: HashMap<CompartmentNo, (usize, u8, u8)>,
    slots: HashMap<SlotNo, Slot<P>>,
    sink: ReportSink,
    tasks: Vec<JoinHandle<()>>,
}

impl<P> Drop for SerialBox<P> {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl<P: AsyncRead + AsyncWrite + Send + 'static> SerialBox<P> {
    /// Wires the buses and readers up and starts watching them. Compartments past `compartments`
    /// (the layout's last) are not driven, and a compartment on two buses is refused.
    pub fn start(
        sink: ReportSink,
        compartments: u32,
        buses: Vec<BusWiring>,
        readers: Vec<ReaderWiring<P>>,
        watch: Watch,
    ) -> Result<Arc<Self>, String> {
        let mut wiring = HashMap::new();
        let buses: Vec<Arc<Bus>> = buses
            .into_iter()
            .map(|w| {
                let boards = vec![Board::default(); usize::from(w.boards)];
                Arc::new(Bus { wiring: w, gate: Mutex::new(()), boards: std::sync::Mutex::new(boards) })
            })
            .collect();
        for (i, bus) in buses.iter().enumerate() {
            for board in 0..bus.wiring.boards {
                for lock in 0..bus.wiring.bus.locks_per_board() {
                    let Some(c) = bus.compartment(board, lock).filter(|c| c.get() <= compartments) else { continue };
                    if wiring.insert(c, (i, board, lock)).is_some() {
                        return Err(format!("compartment {c} is wired to two locks"));
                    }
                }
            }
        }
        let mut tasks = Vec::new();
        for bus in &buses {
            let (bus, sink) = (bus.clone(), sink.clone());
            tasks.push(tokio::spawn(watch_bus(bus, sink, watch)));
        }
        let mut slots = HashMap::new();
        for r in readers {
            let (read, write) = tokio::io::split(r.port);
            let holds_document = Arc::new(AtomicBool::new(false));
            tasks.push(tokio::spawn(read_documents(read, r.slot, r.profile, holds_document.clone(), sink.clone())));
            let slot = Slot { writer: Mutex::new(write), holds_document, keep: r.keep, give_back: r.give_back };
            if slots.insert(r.slot, slot).is_some() {
                return Err(format!("slot {} has two readers", r.slot));
            }
        }
        Ok(Arc::new(Self { buses, wiring, slots, sink, tasks }))
    }

    /// Waits until the watchers have asked every board once (or `within` has passed), so that a
    /// server does not begin by calling its whole box unavailable. Returns whether they all have.
    pub async fn first_look(&self, within: Duration) -> bool {
        let looked =
            || self.buses.iter().all(|bus| bus.with_boards(|boards| boards.iter().all(|b| b.answering.is_some())));
        let deadline = tokio::time::Instant::now() + within;
        while !looked() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    async fn transport(&self, slot: SlotNo, keep: bool) -> Result<(), DriverError> {
        let s = self.slots.get(&slot).ok_or(DriverError::NoSuchSlot(slot))?;
        if !s.holds_document.swap(false, Ordering::SeqCst) {
            return Err(DriverError::SlotEmpty(slot));
        }
        let bytes = if keep { &s.keep } else { &s.give_back };
        let mut writer = s.writer.lock().await;
        let sent = async {
            writer.write_all(bytes).await?;
            writer.flush().await
        };
        sent.await.map_err(|e| DriverError::Unreachable(format!("reader of slot {slot}: {e}")))
    }
}

/// Asks each board of a bus in turn, for as long as the server listens.
async fn watch_bus(bus: Arc<Bus>, sink: ReportSink, watch: Watch) {
    loop {
        for board in 0..bus.wiring.boards {
            let events = {
                let _gate = bus.gate.lock().await;
                let answer = bus.wiring.bus.status(board).await;
                bus.learn(board, answer)
            };
            for event in events {
                if sink.send(event).await.is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(watch.poll_interval).await;
    }
}

/// Reads what a slot's reader sends and reports each whole zone as a document read.
async fn read_documents<R: AsyncRead + Unpin>(
    mut line: R,
    slot: SlotNo,
    profile: Profile,
    holds_document: Arc<AtomicBool>,
    sink: ReportSink,
) {
    let mut assembler = Assembler::new(profile);
    let mut chunk = [0u8; 256];
    loop {
        let n = match line.read(&mut chunk).await {
            Ok(0) => {
                let _ = sink.send(BoxEvent::Fault { detail: format!("reader of slot {slot}: the line closed") }).await;
                return;
            }
            Ok(n) => n,
            Err(e) => {
                let _ = sink.send(BoxEvent::Fault { detail: format!("reader of slot {slot}: {e}") }).await;
                return;
            }
        };
        for mrz in assembler.feed(chunk.get(..n).unwrap_or_default()) {
            holds_document.store(true, Ordering::SeqCst);
            if sink.send(BoxEvent::DocumentRead { slot, mrz }).await.is_err() {
                return;
            }
        }
    }
}

#[async_trait]
impl<P: AsyncRead + AsyncWrite + Send + 'static> BoxDriver for SerialBox<P> {
    fn can_open(&self, c: CompartmentNo) -> bool {
        self.wiring.get(&c).is_some_and(|(bus, board, _)| self.buses.get(*bus).is_some_and(|b| b.answering(*board)))
    }

    fn out_of_order(&self) -> bool {
        self.buses.iter().all(|bus| (0..bus.wiring.boards).all(|b| !bus.answering(b)))
    }

    fn door_state(&self, c: CompartmentNo) -> DoorState {
        match self.wiring.get(&c) {
            Some((bus, board, lock)) => self.buses.get(*bus).map_or(DoorState::Unknown, |b| b.door(*board, *lock)),
            None => DoorState::Unknown,
        }
    }

    async fn open(&self, c: CompartmentNo) -> Result<(), DriverError> {
        let &(i, board, lock) = self.wiring.get(&c).ok_or(DriverError::NoSuchCompartment(c))?;
        let bus = self.buses.get(i).ok_or(DriverError::NoSuchCompartment(c))?;
        let (outcome, events) = {
            let _gate = bus.gate.lock().await;
            // What changed since the watcher's last look is learnt first (a door closed a moment
            // ago), so that the opening below is news and reported as such.
            let before = bus.wiring.bus.status(board).await;
            let mut events = bus.learn(board, before);
            let answer = bus.wiring.bus.unlock(board, lock).await;
            // The status that confirmed the unlock is the board's newest word: learnt now, the
            // door's opening is reported at once and the watcher does not report it again.
            let outcome = answer.as_ref().map(|l| UnlockOutcome::of(&l.closed, lock)).map_err(Clone::clone);
            events.extend(bus.learn(board, answer));
            (outcome, events)
        };
        for event in events {
            self.sink.send(event).await.map_err(|e| DriverError::Unreachable(e.to_string()))?;
        }
        match outcome {
            Ok(UnlockOutcome::Opened) => Ok(()),
            Ok(UnlockOutcome::Refused) => Err(DriverError::LockFailed(c)),
            Err(BusError::NoAnswer(_) | BusError::Frame(_)) => Err(DriverError::NoAnswer(c)),
            Err(BusError::Io(e)) => Err(DriverError::Unreachable(e)),
        }
    }

    async fn keep_document(&self, slot: SlotNo) -> Result<(), DriverError> {
        self.transport(slot, true).await
    }

    async fn return_document(&self, slot: SlotNo) -> Result<(), DriverError> {
        self.transport(slot, false).await
    }
}
