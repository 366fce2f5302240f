//! A box in memory: locks that open, doors that close when told, a slot and a bin.
//!
//! The demo runs on it and the tests drive it, through the same trait as real hardware, so every use
//! case runs unchanged against it. Its control side (close a door, insert a document) stands for the
//! citizen's and the clerk's hands.

use std::collections::BTreeSet;
use std::sync::Mutex;

use abholbox_core::ids::{BoxId, CompartmentNo};
use async_trait::async_trait;

use crate::{BoxDriver, BoxEvent, BoxReport, DriverError, ReportSender};

/// Why a simulated hand could not do what it was told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    #[error("compartment {0} does not exist in this box")]
    NoSuchCompartment(CompartmentNo),
    #[error("the door of compartment {0} is not open")]
    DoorNotOpen(CompartmentNo),
    #[error("the slot already holds a document")]
    SlotBusy,
    #[error("the server no longer listens to this box")]
    Disconnected,
}

#[derive(Debug, Default)]
struct State {
    open_doors: BTreeSet<u32>,
    slot: Option<String>,
    bin: usize,
    returned: usize,
}

/// What the simulated box looks like right now, for the demo's companion page and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorView {
    pub compartments: u32,
    pub open_doors: Vec<CompartmentNo>,
    pub slot_occupied: bool,
    pub documents_in_bin: usize,
    pub documents_returned: usize,
}

/// The simulated box.
#[derive(Debug)]
pub struct SimulatedBox {
    box_id: BoxId,
    compartments: u32,
    reports: ReportSender,
    state: Mutex<State>,
}

impl SimulatedBox {
    pub fn new(box_id: BoxId, compartments: u32, reports: ReportSender) -> Self {
        Self { box_id, compartments, reports, state: Mutex::new(State::default()) }
    }

    fn check(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        if c.get() <= self.compartments { Ok(()) } else { Err(SimulatorError::NoSuchCompartment(c)) }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    async fn report(&self, event: BoxEvent) -> Result<(), SimulatorError> {
        self.reports
            .send(BoxReport { box_id: self.box_id.clone(), event })
            .await
            .map_err(|_| SimulatorError::Disconnected)
    }

    /// A hand closes an open door.
    pub async fn close_door(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        self.check(c)?;
        if !self.with_state(|s| s.open_doors.remove(&c.get())) {
            return Err(SimulatorError::DoorNotOpen(c));
        }
        self.report(BoxEvent::DoorClosed { compartment: c }).await
    }

    /// A citizen inserts a document into the slot; the reader reads its MRZ.
    pub async fn insert_document(&self, mrz: &str) -> Result<(), SimulatorError> {
        let taken = self.with_state(|s| {
            if s.slot.is_some() {
                false
            } else {
                s.slot = Some(mrz.to_owned());
                true
            }
        });
        if !taken {
            return Err(SimulatorError::SlotBusy);
        }
        self.report(BoxEvent::DocumentRead { mrz: mrz.to_owned() }).await
    }

    pub fn view(&self) -> SimulatorView {
        self.with_state(|s| SimulatorView {
            compartments: self.compartments,
            open_doors: s.open_doors.iter().filter_map(|n| CompartmentNo::new(*n)).collect(),
            slot_occupied: s.slot.is_some(),
            documents_in_bin: s.bin,
            documents_returned: s.returned,
        })
    }
}

#[async_trait]
impl BoxDriver for SimulatedBox {
    async fn open(&self, c: CompartmentNo) -> Result<(), DriverError> {
        self.check(c).map_err(|_| DriverError::NoSuchCompartment(c))?;
        let newly = self.with_state(|s| s.open_doors.insert(c.get()));
        if newly {
            self.report(BoxEvent::DoorOpened { compartment: c })
                .await
                .map_err(|e| DriverError::Unreachable(e.to_string()))?;
        }
        Ok(())
    }

    async fn keep_document(&self) -> Result<(), DriverError> {
        self.with_state(|s| match s.slot.take() {
            Some(_) => {
                s.bin += 1;
                Ok(())
            }
            None => Err(DriverError::SlotEmpty),
        })
    }

    async fn return_document(&self) -> Result<(), DriverError> {
        self.with_state(|s| match s.slot.take() {
            Some(_) => {
                s.returned += 1;
                Ok(())
            }
            None => Err(DriverError::SlotEmpty),
        })
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

    #[tokio::test]
    async fn a_door_opens_on_command_and_closes_by_hand() {
        let (tx, mut rx) = mpsc::channel(8);
        let sim = SimulatedBox::new(BoxId::parse("b").unwrap(), 600, tx);
        sim.open(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorOpened { compartment: no(17) });
        assert_eq!(sim.view().open_doors, vec![no(17)]);
        sim.close_door(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(17) });
        assert_eq!(sim.close_door(no(17)).await, Err(SimulatorError::DoorNotOpen(no(17))));
    }

    #[tokio::test]
    async fn unknown_compartments_are_refused() {
        let (tx, _rx) = mpsc::channel(8);
        let sim = SimulatedBox::new(BoxId::parse("b").unwrap(), 600, tx);
        assert_eq!(sim.open(no(601)).await, Err(DriverError::NoSuchCompartment(no(601))));
        assert_eq!(sim.close_door(no(601)).await, Err(SimulatorError::NoSuchCompartment(no(601))));
    }

    #[tokio::test]
    async fn the_slot_holds_one_document_until_kept_or_returned() {
        let (tx, mut rx) = mpsc::channel(8);
        let sim = SimulatedBox::new(BoxId::parse("b").unwrap(), 1, tx);
        sim.insert_document("MRZ").await.unwrap();
        assert!(matches!(rx.recv().await.unwrap().event, BoxEvent::DocumentRead { .. }));
        assert_eq!(sim.insert_document("OTHER").await, Err(SimulatorError::SlotBusy));
        sim.keep_document().await.unwrap();
        assert_eq!(sim.keep_document().await, Err(DriverError::SlotEmpty));
        sim.insert_document("MRZ2").await.unwrap();
        sim.return_document().await.unwrap();
        let v = sim.view();
        assert_eq!((v.documents_in_bin, v.documents_returned, v.slot_occupied), (1, 1, false));
    }
}
