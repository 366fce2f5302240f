//! The box's hardware as the use cases see it: commands that return results, facts that arrive as
//! events.
//!
//! Commands open one compartment or decide about the document in the slot; no method takes more than
//! one compartment, so no code path above this trait can open a box wholesale. Facts (a door opened
//! or closed, a document read, a fault) arrive on a channel the use cases consume, because hardware
//! reports them whenever they happen, not as answers. The in-process [`SimulatedBox`] is the first
//! implementation; serial drivers for lock-controller boards and a remote box agent come next with no
//! change above this trait.

mod simulated;

pub use simulated::{SimulatedBox, SimulatorError, SimulatorView};

use abholbox_core::ids::{BoxId, CompartmentNo};
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
    /// The slot's reader read a document: the raw MRZ text as the reader sent it.
    DocumentRead {
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
            Self::DocumentRead { .. } => f.write_str("DocumentRead([redacted])"),
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
    #[error("the lock of compartment {0} did not open")]
    LockFailed(CompartmentNo),
    #[error("there is no document in the slot")]
    SlotEmpty,
    #[error("the box does not answer: {0}")]
    Unreachable(String),
}

/// One box's hardware.
#[async_trait]
pub trait BoxDriver: Send + Sync {
    /// Unlocks one compartment; its door then opens (reported as an event).
    async fn open(&self, compartment: CompartmentNo) -> Result<(), DriverError>;
    /// Drops the document in the slot into the bin, where it waits for destruction.
    async fn keep_document(&self) -> Result<(), DriverError>;
    /// Gives the document in the slot back to the citizen.
    async fn return_document(&self) -> Result<(), DriverError>;
}
