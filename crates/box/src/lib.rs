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
mod simulated;

pub use simulated::{CompartmentFault, LockFault, SensorFault, SimulatedBox, SimulatorError, SimulatorView};

use abholbox_core::ids::{BoxId, CompartmentNo, SlotNo};
use abholbox_core::pickup::LockFailure;
use async_trait::async_trait;
use tokio::sync::mpsc;

/// A fact reported by a box.
#[derive(Clone, PartialEq, Eq)]
pub enum BoxEvent {
    DoorOpened {
        compartment: CompartmentNo,
    },
    DoorClosed {
        compartment: CompartmentNo,
    },
    /// A slot's reader read a document: the raw MRZ text as the reader sent it. The slot says which
    /// panel's citizen inserted it.
    DocumentRead {
        slot: SlotNo,
        mrz: String,
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
            Self::DoorClosed { compartment } => write!(f, "DoorClosed({compartment})"),
            Self::DocumentRead { slot, .. } => write!(f, "DocumentRead(slot {slot}, [redacted])"),
            Self::Fault { detail } => write!(f, "Fault({detail})"),
        }
    }
}

/// An event with the box it came from; all boxes of a server share one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxReport {
    pub box_id: BoxId,
    pub event: BoxEvent,
}

/// Where drivers send their reports.
pub type ReportSender = mpsc::Sender<BoxReport>;

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
    /// Whether the driver knows the compartment's lock: a compartment added to the layout while the
    /// server runs is wired up at its next start, and is not offered before.
    fn can_open(&self, compartment: CompartmentNo) -> bool {
        let _ = compartment;
        true
    }
    /// Unlocks one compartment; its door then opens (reported as an event).
    async fn open(&self, compartment: CompartmentNo) -> Result<(), DriverError>;
    /// Drops the document in a slot into the bin, where it waits for destruction.
    async fn keep_document(&self, slot: SlotNo) -> Result<(), DriverError>;
    /// Gives the document in a slot back to the citizen.
    async fn return_document(&self, slot: SlotNo) -> Result<(), DriverError>;
}
