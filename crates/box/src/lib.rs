//! The box's hardware as the use cases see it: commands that return results, facts that arrive as
//! events.
//!
//! Commands open one compartment or decide about the document in the slot; no method takes more than
//! one compartment, so no code path above this trait can open a box wholesale. Facts (a door opened
//! or closed, a document read, a fault) arrive on a channel the use cases consume, because hardware
//! reports them whenever they happen, not as answers. The in-process [`SimulatedBox`] is the first
//! implementation; serial drivers for lock-controller boards and a remote box agent come next with no
//! change above this trait.

pub mod boards;
pub mod reader;
pub mod serial;
pub mod serial_sim;
mod simulated;

pub use simulated::{
    BoardFault, CompartmentFault, LockFault, SensorFault, SimulatedBox, SimulatorError, SimulatorView,
};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abholbox_core::ids::{BoxId, CompartmentNo, SlotNo};
use abholbox_core::pickup::LockFailure;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// A fact reported by a box.
#[derive(Clone, PartialEq, Eq)]
pub enum BoxEvent {
    DoorOpened {
        compartment: CompartmentNo,
    },
    DoorClosed {
        compartment: CompartmentNo,
        /// What the compartment's item sensor sees once the door is shut; `None` where there is no
        /// such sensor.
        item_inside: Option<bool>,
    },
    /// A slot's reader read a document: the raw MRZ text as the reader sent it. The slot says which
    /// panel's citizen inserted it.
    DocumentRead {
        slot: SlotNo,
        mrz: String,
    },
    /// A lock controller stopped answering: its compartments cannot be opened until it answers
    /// again, and their doors are not watched meanwhile.
    BoardSilent {
        board: String,
        compartments: Vec<CompartmentNo>,
    },
    /// A lock controller that was silent answers again.
    BoardAnswers {
        board: String,
    },
    /// Something is wrong with the hardware; for staff and logs.
    Fault {
        detail: String,
    },
}

impl std::fmt::Debug for BoxEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DoorOpened { compartment } => write!(f, "DoorOpened({compartment})"),
            Self::DoorClosed { compartment, item_inside } => write!(f, "DoorClosed({compartment}, {item_inside:?})"),
            Self::DocumentRead { slot, .. } => write!(f, "DocumentRead(slot {slot}, [redacted])"),
            Self::BoardSilent { board, compartments } => {
                write!(f, "BoardSilent({board}, {} compartments)", compartments.len())
            }
            Self::BoardAnswers { board } => write!(f, "BoardAnswers({board})"),
            Self::Fault { detail } => write!(f, "Fault({detail})"),
        }
    }
}

/// An event with the box it came from, when the driver saw it, and its place in that box's order;
/// all boxes of a server share one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxReport {
    pub box_id: BoxId,
    /// Counts from 1 at each start of the box's driver; with `at`, it orders a box's reports.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub event: BoxEvent,
}

/// The clock that stamps reports: the service's, so that a hand-over time and a moved test clock
/// agree.
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Where one box's driver sends its reports: it stamps each with the time and the box's next
/// sequence number.
#[derive(Clone)]
pub struct ReportSink {
    box_id: BoxId,
    tx: mpsc::Sender<BoxReport>,
    seq: Arc<AtomicU64>,
    now: Now,
}

impl std::fmt::Debug for ReportSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportSink").field("box_id", &self.box_id).finish_non_exhaustive()
    }
}

/// The server no longer takes this box's reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server no longer listens to this box")]
pub struct Disconnected;

impl ReportSink {
    pub fn new(box_id: BoxId, tx: mpsc::Sender<BoxReport>, now: Now) -> Self {
        Self { box_id, tx, seq: Arc::new(AtomicU64::new(0)), now }
    }

    /// A sink on the system clock, for tools and tests without a service.
    pub fn on_system_clock(box_id: BoxId, tx: mpsc::Sender<BoxReport>) -> Self {
        Self::new(box_id, tx, Arc::new(Utc::now))
    }

    pub fn box_id(&self) -> &BoxId {
        &self.box_id
    }

    pub async fn send(&self, event: BoxEvent) -> Result<(), Disconnected> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let report = BoxReport { box_id: self.box_id.clone(), seq, at: (self.now)(), event };
        self.tx.send(report).await.map_err(|_| Disconnected)
    }
}

/// A door as its sensor last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorState {
    Open,
    Closed,
    /// The sensor or its board does not answer.
    Unknown,
}

/// Why a command to the box failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    #[error("compartment {0} does not exist in this box")]
    NoSuchCompartment(CompartmentNo),
    /// The controller answered that the lock did not open.
    #[error("the lock of compartment {0} did not open")]
    LockFailed(CompartmentNo),
    /// The controller did not answer in time: the lock may or may not have opened.
    #[error("the lock of compartment {0} did not answer")]
    NoAnswer(CompartmentNo),
    #[error("there is no document in slot {0}")]
    SlotEmpty(SlotNo),
    #[error("slot {0} does not exist in this box")]
    NoSuchSlot(SlotNo),
    #[error("the box does not answer: {0}")]
    Unreachable(String),
}

impl DriverError {
    /// How an opening failed, for the rules that decide what becomes of the compartment: only an
    /// answer that the lock stayed shut is certain; silence may hide an open door.
    pub fn lock_failure(&self) -> LockFailure {
        match self {
            Self::LockFailed(_) | Self::NoSuchCompartment(_) | Self::SlotEmpty(_) | Self::NoSuchSlot(_) => {
                LockFailure::Refused
            }
            Self::NoAnswer(_) | Self::Unreachable(_) => LockFailure::NoAnswer,
        }
    }
}

/// One box's hardware.
#[async_trait]
pub trait BoxDriver: Send + Sync {
    /// Whether the compartment's lock can be driven now: the driver knows it (a compartment added to
    /// the layout while the server runs is wired up at its next start) and its controller answers.
    /// Compartments that cannot be opened are not offered.
    fn can_open(&self, compartment: CompartmentNo) -> bool {
        let _ = compartment;
        true
    }
    /// Whether no compartment at all can be opened now: every controller is silent. The panel then
    /// says "out of order" instead of taking a citizen through steps that end at the counter.
    fn out_of_order(&self) -> bool {
        false
    }
    /// The door as its sensor last reported it, without opening anything.
    fn door_state(&self, compartment: CompartmentNo) -> DoorState;
    /// Unlocks one compartment; its door then opens (reported as an event).
    async fn open(&self, compartment: CompartmentNo) -> Result<(), DriverError>;
    /// Drops the document in a slot into the bin, where it waits for destruction.
    async fn keep_document(&self, slot: SlotNo) -> Result<(), DriverError>;
    /// Gives the document in a slot back to the citizen.
    async fn return_document(&self, slot: SlotNo) -> Result<(), DriverError>;
}
