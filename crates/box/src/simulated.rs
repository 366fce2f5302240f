//! A box in memory: locks that open, doors that close when told, slots and a bin, and faults on call.
//!
//! The demo runs on it and the tests drive it, through the same trait as real hardware, so every use
//! case runs unchanged against it. Its control side (close a door, insert a document, break a lock or
//! silence a door sensor) stands for the citizen's and the clerk's hands and for the hardware's
//! failures, so that every failure path can be walked in the demo and in tests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use abholbox_core::ids::{BoxId, CompartmentNo, SlotNo};
use async_trait::async_trait;

use crate::{BoxDriver, BoxEvent, DoorState, DriverError, ReportSink};

/// Locks on one simulated controller board: compartments 1–16 hang on board 0, 17–32 on board 1
/// and so on, as on a bus of Kerong KR-CU16 boards, so that a board fault means the same in the
/// in-process simulator as on the serial line.
pub const LOCKS_PER_BOARD: u32 = 16;

/// The board (from 0) that drives compartment `c`.
pub fn board_of(c: CompartmentNo) -> u32 {
    (c.get() - 1) / LOCKS_PER_BOARD
}

/// How long the simulated controller takes to time out when its lock does not answer; a real driver
/// waits about as long before it gives up on a board.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a hand told to close a door waits for it to open. A kiosk shows the compartment as soon
/// as the claim is committed, a moment before the lock has opened (on a serial bus some
/// milliseconds); a citizen sent to compartment 17 waits for its door rather than giving up.
pub const DEFAULT_HAND_PATIENCE: Duration = Duration::from_secs(1);

/// How long after a door opened a hand leaves it alone while the driver has not yet been told of
/// the opening (see [`Opening`]): the driver's confirming status comes within milliseconds unless
/// the board has just fallen silent, and then the hand may close the door after all.
const OPENING_HOLD: Duration = Duration::from_secs(1);

/// Why a simulated hand could not do what it was told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    #[error("compartment {0} does not exist in this box")]
    NoSuchCompartment(CompartmentNo),
    #[error("slot {0} does not exist in this box")]
    NoSuchSlot(SlotNo),
    #[error("the door of compartment {0} is not open and did not open")]
    DoorNotOpen(CompartmentNo),
    #[error("the slot already holds a document")]
    SlotBusy,
    #[error("the server no longer listens to this box")]
    Disconnected,
}

/// What a compartment's lock does when told to open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LockFault {
    #[default]
    Ok,
    /// Answers that it did not open.
    Stuck,
    /// Does not answer; the command times out.
    NoAnswer,
}

/// What a compartment's door sensor reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SensorFault {
    #[default]
    Ok,
    /// Reports nothing. When it recovers it reports the door as it is by then.
    Silent,
}

/// What a whole controller board does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BoardFault {
    #[default]
    Ok,
    /// Answers nothing at all: its locks cannot be driven and its doors are not watched.
    Silent,
    /// Answers with a wrong checksum (on the serial line; in process it is as good as silent).
    Corrupt,
}

/// The faults set on one compartment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompartmentFault {
    pub lock: LockFault,
    pub door_sensor: SensorFault,
}

#[derive(Debug, Default)]
struct State {
    /// Doors physically open.
    open_doors: BTreeSet<u32>,
    /// Open doors whose opening has not yet reached the driver (see [`Opening`]), and when they opened.
    opening: BTreeMap<u32, tokio::time::Instant>,
    /// Doors the sensors last reported open.
    reported_open: BTreeSet<u32>,
    faults: BTreeMap<u32, CompartmentFault>,
    boards: BTreeMap<u32, BoardFault>,
    /// What the item sensors see, where a hand said so when it closed a door.
    items: BTreeMap<u32, bool>,
    slots: BTreeMap<SlotNo, Option<String>>,
    bin: usize,
    returned: usize,
}

impl State {
    fn fault(&self, c: CompartmentNo) -> CompartmentFault {
        self.faults.get(&c.get()).copied().unwrap_or_default()
    }

    fn board(&self, c: CompartmentNo) -> BoardFault {
        self.boards.get(&board_of(c)).copied().unwrap_or_default()
    }

    /// The event the sensor of `c` reports now, if it reports one: what it last said differs from the
    /// door as it is, and it is not silent.
    fn sense(&mut self, c: CompartmentNo) -> Option<BoxEvent> {
        if self.fault(c).door_sensor == SensorFault::Silent || self.board(c) != BoardFault::Ok {
            return None;
        }
        let open = self.open_doors.contains(&c.get());
        match (open, self.reported_open.contains(&c.get())) {
            (true, false) => {
                self.reported_open.insert(c.get());
                Some(BoxEvent::DoorOpened { compartment: c })
            }
            (false, true) => {
                self.reported_open.remove(&c.get());
                Some(BoxEvent::DoorClosed { compartment: c, item_inside: self.items.get(&c.get()).copied() })
            }
            _ => None,
        }
    }
}

/// A door its lock has just opened, before the driver has been told: a hand does not shut it
/// until this is dropped, or [`OPENING_HOLD`] after it opened. On hardware the driver has read the
/// door open, in the board's status after the unlock, long before anyone could reach it; a simulated
/// hand, quicker than any citizen, could shut it in between, and the driver would read the lock as
/// refused.
#[must_use = "a hand waits for the door until the opening is dropped"]
pub struct Opening<'a> {
    sim: &'a SimulatedBox,
    compartment: CompartmentNo,
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.sim.with_state(|s| s.opening.remove(&self.compartment.get()));
        self.sim.doors_opened.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// What the simulated box looks like right now, for the demo's companion page and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorView {
    pub compartments: u32,
    pub open_doors: Vec<CompartmentNo>,
    /// Slots that hold a document right now.
    pub occupied_slots: Vec<SlotNo>,
    pub documents_in_bin: usize,
    pub documents_returned: usize,
    /// Compartments with a fault set, and the fault.
    pub faults: Vec<(CompartmentNo, CompartmentFault)>,
    /// Boards (from 0) with a fault set.
    pub boards: Vec<(u32, BoardFault)>,
}

/// The simulated box.
#[derive(Debug)]
pub struct SimulatedBox {
    compartments: u32,
    command_timeout: Duration,
    hand_patience: Duration,
    reports: ReportSink,
    state: Mutex<State>,
    /// Counts openings that have reached the driver (an [`Opening`] dropped), so that a hand waiting
    /// at a door learns when it may close it.
    doors_opened: tokio::sync::watch::Sender<u64>,
}

impl SimulatedBox {
    /// A box with `compartments` compartments and a document slot for each of `slots`.
    pub fn new(reports: ReportSink, compartments: u32, slots: &[SlotNo]) -> Self {
        let state = State { slots: slots.iter().map(|s| (*s, None)).collect(), ..State::default() };
        Self {
            compartments,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            hand_patience: DEFAULT_HAND_PATIENCE,
            reports,
            state: Mutex::new(state),
            doors_opened: tokio::sync::watch::Sender::new(0),
        }
    }

    pub fn box_id(&self) -> &BoxId {
        self.reports.box_id()
    }

    /// Sets how long an unanswered lock command takes to time out.
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Sets how long a hand told to close a door waits for it to open.
    pub fn with_hand_patience(mut self, patience: Duration) -> Self {
        self.hand_patience = patience;
        self
    }

    fn check(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        if c.get() <= self.compartments { Ok(()) } else { Err(SimulatorError::NoSuchCompartment(c)) }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    async fn report(&self, event: BoxEvent) -> Result<(), SimulatorError> {
        self.reports.send(event).await.map_err(|_| SimulatorError::Disconnected)
    }

    async fn report_all(&self, events: Vec<BoxEvent>) -> Result<(), SimulatorError> {
        for e in events {
            self.report(e).await?;
        }
        Ok(())
    }

    /// A hand closes an open door.
    pub async fn close_door(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        self.close_door_on(c, None).await
    }

    /// A hand closes an open door, having left a document inside or not, as the compartment's item
    /// sensor then sees it (`None`: the sensor says what it said before, or nothing). At a door that
    /// is still closed the hand waits up to its patience for it to open; at a door whose opening has
    /// not reached the driver yet, until it has (see `Opening`).
    pub async fn close_door_on(&self, c: CompartmentNo, item_inside: Option<bool>) -> Result<(), SimulatorError> {
        self.check(c)?;
        let deadline = tokio::time::Instant::now() + self.hand_patience;
        let mut opened = self.doors_opened.subscribe();
        let event = loop {
            opened.borrow_and_update();
            let now = tokio::time::Instant::now();
            let closed = self.with_state(|s| {
                if !s.open_doors.contains(&c.get()) {
                    return Err(deadline);
                }
                if let Some(until) = s.opening.get(&c.get()).map(|at| *at + OPENING_HOLD)
                    && now < until
                {
                    return Err(until);
                }
                s.open_doors.remove(&c.get());
                if let Some(inside) = item_inside {
                    s.items.insert(c.get(), inside);
                }
                Ok(s.sense(c))
            });
            match closed {
                Ok(event) => break event,
                Err(until) if now >= until => return Err(SimulatorError::DoorNotOpen(c)),
                Err(until) => {
                    let _ = tokio::time::timeout_at(until, opened.changed()).await;
                }
            }
        };
        self.report_all(event.into_iter().collect()).await
    }

    /// Opens the door of `c`: the sensor's report of it, if any, and the opening a hand waits for.
    fn open_door(&self, c: CompartmentNo) -> (Option<BoxEvent>, Opening<'_>) {
        let event = self.with_state(|s| {
            s.open_doors.insert(c.get());
            s.opening.insert(c.get(), tokio::time::Instant::now());
            s.sense(c)
        });
        (event, Opening { sim: self, compartment: c })
    }

    /// Breaks or mends a compartment's lock and door sensor; a field left `None` stays as it is. A
    /// sensor that recovers reports the door as it is by then. Returns the compartment's faults.
    pub async fn set_fault(
        &self,
        c: CompartmentNo,
        lock: Option<LockFault>,
        door_sensor: Option<SensorFault>,
    ) -> Result<CompartmentFault, SimulatorError> {
        self.check(c)?;
        let (fault, event) = self.with_state(|s| {
            let mut fault = s.fault(c);
            fault.lock = lock.unwrap_or(fault.lock);
            fault.door_sensor = door_sensor.unwrap_or(fault.door_sensor);
            if fault == CompartmentFault::default() {
                s.faults.remove(&c.get());
            } else {
                s.faults.insert(c.get(), fault);
            }
            (fault, s.sense(c))
        });
        self.report_all(event.into_iter().collect()).await?;
        Ok(fault)
    }

    /// Breaks or mends the board that drives compartment `c`. In process the driver learns of it
    /// at once, as a polling driver learns of it at its next look: a silent board is reported with
    /// its compartments, and one that answers again reports its doors as they are by then.
    pub async fn set_board_fault(&self, c: CompartmentNo, fault: BoardFault) -> Result<BoardFault, SimulatorError> {
        self.check(c)?;
        let board = board_of(c);
        let first = board * LOCKS_PER_BOARD + 1;
        let wired: Vec<CompartmentNo> = (first..first + LOCKS_PER_BOARD)
            .filter(|n| *n <= self.compartments)
            .filter_map(CompartmentNo::new)
            .collect();
        let events = self.with_state(|s| {
            let was = s.boards.get(&board).copied().unwrap_or_default();
            if fault == BoardFault::Ok {
                s.boards.remove(&board);
            } else {
                s.boards.insert(board, fault);
            }
            let name = format!("board {board}");
            match (was == BoardFault::Ok, fault == BoardFault::Ok) {
                (true, false) => vec![BoxEvent::BoardSilent { board: name, compartments: wired.clone() }],
                (false, true) => std::iter::once(BoxEvent::BoardAnswers { board: name })
                    .chain(wired.iter().filter_map(|c| s.sense(*c)))
                    .collect(),
                _ => Vec::new(),
            }
        });
        self.report_all(events).await?;
        Ok(fault)
    }

    /// A door opens without a command: forced, or a lock that let go by itself.
    pub async fn force_door(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        self.check(c)?;
        let (event, _opening) = self.open_door(c);
        self.report_all(event.into_iter().collect()).await
    }

    /// The lock of `c` gets an unlock pulse over the wire: what the lock does (a working lock opens
    /// the door, which its sensor then reports), and the opening, to be dropped once the board has
    /// answered.
    pub async fn pulse_lock(&self, c: CompartmentNo) -> Result<(LockFault, Option<Opening<'_>>), SimulatorError> {
        self.check(c)?;
        let lock = self.with_state(|s| s.fault(c).lock);
        if lock != LockFault::Ok {
            return Ok((lock, None));
        }
        let (event, opening) = self.open_door(c);
        self.report_all(event.into_iter().collect()).await?;
        Ok((lock, Some(opening)))
    }

    /// What the board driving `c` does.
    pub fn board_fault(&self, c: CompartmentNo) -> BoardFault {
        self.with_state(|s| s.board(c))
    }

    /// Whether the item sensor of `c` sees something inside.
    pub fn item_inside(&self, c: CompartmentNo) -> bool {
        self.with_state(|s| s.items.get(&c.get()).copied().unwrap_or(false))
    }

    /// Whether the sensor of `c` last reported its door open.
    pub fn sensed_open(&self, c: CompartmentNo) -> bool {
        self.with_state(|s| s.reported_open.contains(&c.get()))
    }

    /// How many compartments the box has.
    pub fn compartments(&self) -> u32 {
        self.compartments
    }

    /// The slot's transport: into the bin, or back to the citizen.
    pub fn take_document(&self, slot: SlotNo, into_bin: bool) -> Result<(), DriverError> {
        self.take_from_slot(slot, into_bin)
    }

    /// A citizen inserts a document into a slot; its reader reads the MRZ.
    pub async fn insert_document(&self, slot: SlotNo, mrz: &str) -> Result<(), SimulatorError> {
        self.with_state(|s| match s.slots.get_mut(&slot) {
            None => Err(SimulatorError::NoSuchSlot(slot)),
            Some(Some(_)) => Err(SimulatorError::SlotBusy),
            Some(held) => {
                *held = Some(mrz.to_owned());
                Ok(())
            }
        })?;
        self.report(BoxEvent::DocumentRead { slot, mrz: mrz.to_owned() }).await
    }

    pub fn view(&self) -> SimulatorView {
        self.with_state(|s| SimulatorView {
            compartments: self.compartments,
            open_doors: s.open_doors.iter().filter_map(|n| CompartmentNo::new(*n)).collect(),
            occupied_slots: s.slots.iter().filter(|(_, held)| held.is_some()).map(|(slot, _)| *slot).collect(),
            documents_in_bin: s.bin,
            documents_returned: s.returned,
            faults: s.faults.iter().filter_map(|(n, f)| CompartmentNo::new(*n).map(|c| (c, *f))).collect(),
            boards: s.boards.iter().map(|(b, f)| (*b, *f)).collect(),
        })
    }

    fn take_from_slot(&self, slot: SlotNo, into_bin: bool) -> Result<(), DriverError> {
        self.with_state(|s| match s.slots.get_mut(&slot) {
            None => Err(DriverError::NoSuchSlot(slot)),
            Some(held) => match held.take() {
                None => Err(DriverError::SlotEmpty(slot)),
                Some(_) if into_bin => {
                    s.bin += 1;
                    Ok(())
                }
                Some(_) => {
                    s.returned += 1;
                    Ok(())
                }
            },
        })
    }
}

#[async_trait]
impl BoxDriver for SimulatedBox {
    fn can_open(&self, c: CompartmentNo) -> bool {
        self.check(c).is_ok() && self.with_state(|s| s.board(c)) == BoardFault::Ok
    }

    fn out_of_order(&self) -> bool {
        let boards = self.compartments.div_ceil(LOCKS_PER_BOARD);
        self.with_state(|s| (0..boards).all(|b| s.boards.get(&b).is_some_and(|f| *f != BoardFault::Ok)))
    }

    fn door_state(&self, c: CompartmentNo) -> DoorState {
        match self.with_state(|s| (s.board(c), s.fault(c).door_sensor, s.reported_open.contains(&c.get()))) {
            (BoardFault::Ok, SensorFault::Ok, true) => DoorState::Open,
            (BoardFault::Ok, SensorFault::Ok, false) => DoorState::Closed,
            _ => DoorState::Unknown,
        }
    }

    async fn open(&self, c: CompartmentNo) -> Result<(), DriverError> {
        self.check(c).map_err(|_| DriverError::NoSuchCompartment(c))?;
        let (board, lock) = self.with_state(|s| (s.board(c), s.fault(c).lock));
        if board != BoardFault::Ok {
            tokio::time::sleep(self.command_timeout).await;
            return Err(DriverError::NoAnswer(c));
        }
        match lock {
            LockFault::Ok => {}
            LockFault::Stuck => return Err(DriverError::LockFailed(c)),
            LockFault::NoAnswer => {
                tokio::time::sleep(self.command_timeout).await;
                return Err(DriverError::NoAnswer(c));
            }
        }
        let (event, _opening) = self.open_door(c);
        self.report_all(event.into_iter().collect()).await.map_err(|e| DriverError::Unreachable(e.to_string()))
    }

    async fn keep_document(&self, slot: SlotNo) -> Result<(), DriverError> {
        self.take_from_slot(slot, true)
    }

    async fn return_document(&self, slot: SlotNo) -> Result<(), DriverError> {
        self.take_from_slot(slot, false)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn no(n: u32) -> CompartmentNo {
        CompartmentNo::new(n).unwrap()
    }

    fn slot(n: u32) -> SlotNo {
        SlotNo::new(n).unwrap()
    }

    fn sim(compartments: u32) -> (SimulatedBox, mpsc::Receiver<crate::BoxReport>) {
        let (tx, rx) = mpsc::channel(8);
        let sink = ReportSink::on_system_clock(BoxId::parse("b").unwrap(), tx);
        let b =
            SimulatedBox::new(sink, compartments, &[slot(1), slot(2)]).with_command_timeout(Duration::from_millis(50));
        (b.with_hand_patience(Duration::from_millis(50)), rx)
    }

    #[tokio::test]
    async fn a_hand_told_to_close_a_door_waits_for_it_to_open() {
        let (sim, mut rx) = sim(600);
        let sim = std::sync::Arc::new(sim.with_hand_patience(Duration::from_secs(5)));
        let hand = tokio::spawn({
            let sim = sim.clone();
            async move { sim.close_door(no(17)).await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(!hand.is_finished(), "the hand gave up at a door that was about to open");
        sim.open(no(17)).await.unwrap();
        assert_eq!(hand.await.unwrap(), Ok(()));
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorOpened { compartment: no(17) });
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(17), item_inside: None });
        assert!(sim.view().open_doors.is_empty());
    }

    /// A door that opens at the end of the hand's patience is still left alone until the driver
    /// has been told; one whose opening never reaches the driver is closed after the hold.
    #[tokio::test]
    async fn a_hand_leaves_a_door_alone_until_the_driver_has_read_it_open() {
        let (sim, _rx) = sim(600);
        let sim = std::sync::Arc::new(sim);
        let hand = tokio::spawn({
            let sim = sim.clone();
            async move { sim.close_door(no(17)).await }
        });
        tokio::time::sleep(Duration::from_millis(40)).await;
        let (_, opening) = sim.pulse_lock(no(17)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!hand.is_finished(), "the hand closed a door whose opening the driver had not read");
        assert_eq!(sim.view().open_doors, vec![no(17)]);
        drop(opening);
        assert_eq!(hand.await.unwrap(), Ok(()));
        assert!(sim.view().open_doors.is_empty());

        let (_, never_told) = sim.pulse_lock(no(18)).await.unwrap();
        let started = tokio::time::Instant::now();
        assert_eq!(sim.close_door(no(18)).await, Ok(()));
        assert!(started.elapsed() >= OPENING_HOLD - Duration::from_millis(20), "closed before the hold ran out");
        drop(never_told);
    }

    #[tokio::test]
    async fn a_hand_at_a_door_that_stays_shut_gives_up() {
        let (sim, _rx) = sim(600);
        sim.open(no(18)).await.unwrap();
        assert_eq!(sim.close_door(no(17)).await, Err(SimulatorError::DoorNotOpen(no(17))));
        assert_eq!(sim.view().open_doors, vec![no(18)]);
    }

    #[tokio::test]
    async fn a_door_opens_on_command_and_closes_by_hand() {
        let (sim, mut rx) = sim(600);
        sim.open(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorOpened { compartment: no(17) });
        assert_eq!(sim.view().open_doors, vec![no(17)]);
        sim.close_door(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(17), item_inside: None });
        assert_eq!(sim.close_door(no(17)).await, Err(SimulatorError::DoorNotOpen(no(17))));
    }

    #[tokio::test]
    async fn unknown_compartments_and_slots_are_refused() {
        let (sim, _rx) = sim(600);
        assert_eq!(sim.open(no(601)).await, Err(DriverError::NoSuchCompartment(no(601))));
        assert_eq!(sim.close_door(no(601)).await, Err(SimulatorError::NoSuchCompartment(no(601))));
        assert_eq!(sim.insert_document(slot(3), "MRZ").await, Err(SimulatorError::NoSuchSlot(slot(3))));
        assert_eq!(sim.keep_document(slot(3)).await, Err(DriverError::NoSuchSlot(slot(3))));
    }

    #[tokio::test]
    async fn each_slot_holds_one_document_until_kept_or_returned() {
        let (sim, mut rx) = sim(1);
        sim.insert_document(slot(1), "MRZ").await.unwrap();
        assert!(matches!(rx.recv().await.unwrap().event, BoxEvent::DocumentRead { slot: s, .. } if s == slot(1)));
        assert_eq!(sim.insert_document(slot(1), "OTHER").await, Err(SimulatorError::SlotBusy));
        sim.insert_document(slot(2), "OTHER").await.unwrap();
        assert_eq!(sim.view().occupied_slots, vec![slot(1), slot(2)]);
        sim.keep_document(slot(1)).await.unwrap();
        assert_eq!(sim.keep_document(slot(1)).await, Err(DriverError::SlotEmpty(slot(1))));
        sim.return_document(slot(2)).await.unwrap();
        let v = sim.view();
        assert_eq!((v.documents_in_bin, v.documents_returned, v.occupied_slots), (1, 1, vec![]));
    }

    #[tokio::test]
    async fn a_stuck_lock_refuses_and_an_unanswered_one_times_out() {
        let (sim, mut rx) = sim(10);
        sim.set_fault(no(3), Some(LockFault::Stuck), None).await.unwrap();
        assert_eq!(sim.open(no(3)).await, Err(DriverError::LockFailed(no(3))));
        assert_eq!(sim.open(no(3)).await.unwrap_err().lock_failure(), abholbox_core::pickup::LockFailure::Refused);
        sim.set_fault(no(4), Some(LockFault::NoAnswer), None).await.unwrap();
        let started = std::time::Instant::now();
        let err = sim.open(no(4)).await.unwrap_err();
        assert_eq!(err, DriverError::NoAnswer(no(4)));
        assert_eq!(err.lock_failure(), abholbox_core::pickup::LockFailure::NoAnswer);
        assert!(started.elapsed() >= Duration::from_millis(50), "it waited for the timeout");
        assert!(sim.view().open_doors.is_empty());
        assert!(rx.try_recv().is_err(), "no door moved");
        let mended = sim.set_fault(no(3), Some(LockFault::Ok), None).await.unwrap();
        assert_eq!(mended, CompartmentFault::default());
        sim.open(no(3)).await.unwrap();
        assert_eq!(
            sim.view().faults,
            vec![(no(4), CompartmentFault { lock: LockFault::NoAnswer, ..Default::default() })]
        );
    }

    #[tokio::test]
    async fn a_silent_sensor_reports_the_door_as_it_is_when_it_recovers() {
        let (sim, mut rx) = sim(10);
        sim.open(no(5)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorOpened { compartment: no(5) });
        sim.set_fault(no(5), None, Some(SensorFault::Silent)).await.unwrap();
        sim.close_door(no(5)).await.unwrap();
        assert!(rx.try_recv().is_err(), "a silent sensor says nothing");
        sim.set_fault(no(5), None, Some(SensorFault::Ok)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(5), item_inside: None });
        sim.set_fault(no(6), None, Some(SensorFault::Silent)).await.unwrap();
        sim.open(no(6)).await.unwrap();
        sim.close_door(no(6)).await.unwrap();
        sim.set_fault(no(6), None, Some(SensorFault::Ok)).await.unwrap();
        assert!(rx.try_recv().is_err(), "a door that opened and closed unseen leaves nothing to report");
    }
}
