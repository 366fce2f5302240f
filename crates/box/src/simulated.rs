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

use crate::{BoxDriver, BoxEvent, BoxReport, DriverError, ReportSender};

/// How long the simulated controller takes to time out when its lock does not answer; a real driver
/// waits about as long before it gives up on a board.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a simulated hand could not do what it was told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    #[error("compartment {0} does not exist in this box")]
    NoSuchCompartment(CompartmentNo),
    #[error("slot {0} does not exist in this box")]
    NoSuchSlot(SlotNo),
    #[error("the door of compartment {0} is not open")]
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
    /// Doors the sensors last reported open.
    reported_open: BTreeSet<u32>,
    faults: BTreeMap<u32, CompartmentFault>,
    slots: BTreeMap<SlotNo, Option<String>>,
    bin: usize,
    returned: usize,
}

impl State {
    fn fault(&self, c: CompartmentNo) -> CompartmentFault {
        self.faults.get(&c.get()).copied().unwrap_or_default()
    }

    /// The event the sensor of `c` reports now, if it reports one: what it last said differs from the
    /// door as it is, and it is not silent.
    fn sense(&mut self, c: CompartmentNo) -> Option<BoxEvent> {
        if self.fault(c).door_sensor == SensorFault::Silent {
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
                Some(BoxEvent::DoorClosed { compartment: c })
            }
            _ => None,
        }
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
}

/// The simulated box.
#[derive(Debug)]
pub struct SimulatedBox {
    box_id: BoxId,
    compartments: u32,
    command_timeout: Duration,
    reports: ReportSender,
    state: Mutex<State>,
}

impl SimulatedBox {
    /// A box with `compartments` compartments and a document slot for each of `slots`.
    pub fn new(box_id: BoxId, compartments: u32, slots: &[SlotNo], reports: ReportSender) -> Self {
        let state = State { slots: slots.iter().map(|s| (*s, None)).collect(), ..State::default() };
        Self { box_id, compartments, command_timeout: DEFAULT_COMMAND_TIMEOUT, reports, state: Mutex::new(state) }
    }

    /// Sets how long an unanswered lock command takes to time out.
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
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
        self.reports
            .send(BoxReport { box_id: self.box_id.clone(), event })
            .await
            .map_err(|_| SimulatorError::Disconnected)
    }

    async fn report_all(&self, events: Vec<BoxEvent>) -> Result<(), SimulatorError> {
        for e in events {
            self.report(e).await?;
        }
        Ok(())
    }

    /// A hand closes an open door.
    pub async fn close_door(&self, c: CompartmentNo) -> Result<(), SimulatorError> {
        self.check(c)?;
        let event = self.with_state(|s| {
            if s.open_doors.remove(&c.get()) { Ok(s.sense(c)) } else { Err(SimulatorError::DoorNotOpen(c)) }
        })?;
        self.report_all(event.into_iter().collect()).await
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
        self.check(c).is_ok()
    }

    async fn open(&self, c: CompartmentNo) -> Result<(), DriverError> {
        self.check(c).map_err(|_| DriverError::NoSuchCompartment(c))?;
        match self.with_state(|s| s.fault(c).lock) {
            LockFault::Ok => {}
            LockFault::Stuck => return Err(DriverError::LockFailed(c)),
            LockFault::NoAnswer => {
                tokio::time::sleep(self.command_timeout).await;
                return Err(DriverError::NoAnswer(c));
            }
        }
        let event = self.with_state(|s| {
            s.open_doors.insert(c.get());
            s.sense(c)
        });
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

    fn sim(compartments: u32) -> (SimulatedBox, mpsc::Receiver<BoxReport>) {
        let (tx, rx) = mpsc::channel(8);
        let b = SimulatedBox::new(BoxId::parse("b").unwrap(), compartments, &[slot(1), slot(2)], tx)
            .with_command_timeout(Duration::from_millis(50));
        (b, rx)
    }

    #[tokio::test]
    async fn a_door_opens_on_command_and_closes_by_hand() {
        let (sim, mut rx) = sim(600);
        sim.open(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorOpened { compartment: no(17) });
        assert_eq!(sim.view().open_doors, vec![no(17)]);
        sim.close_door(no(17)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(17) });
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
        assert_eq!(rx.recv().await.unwrap().event, BoxEvent::DoorClosed { compartment: no(5) });
        sim.set_fault(no(6), None, Some(SensorFault::Silent)).await.unwrap();
        sim.open(no(6)).await.unwrap();
        sim.close_door(no(6)).await.unwrap();
        sim.set_fault(no(6), None, Some(SensorFault::Ok)).await.unwrap();
        assert!(rx.try_recv().is_err(), "a door that opened and closed unseen leaves nothing to report");
    }
}
