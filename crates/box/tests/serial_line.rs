//! The serial driver against the serial simulator, over real pseudo-terminals: the bytes on the
//! wire are the boards' and the reader's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use abholbox_box::boards::kerong_cu16::CMD_UNLOCK_ALL;
use abholbox_box::reader::Profile;
use abholbox_box::serial::{BusPort, ReaderPort, SerialSetup, Watch, open_serial_box};
use abholbox_box::serial_sim::{GIVE_BACK_COMMAND, KEEP_COMMAND, SerialSimulator};
use abholbox_box::{
    BoardFault, BoxDriver, BoxEvent, BoxReport, DoorState, DriverError, LockFault, ReportSink, SensorFault,
};
use abholbox_core::ids::{BoxId, CompartmentNo, SlotNo};
use tokio::sync::mpsc;

fn no(n: u32) -> CompartmentNo {
    CompartmentNo::new(n).unwrap()
}

const MRZ: &str = "IDD<<T220001293<<<<<<<<<<<<<<<\n6408125<2010315D<<<<<<<<<<<<<4\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<";

struct Rig {
    sim: SerialSimulator,
    driver: Arc<dyn BoxDriver>,
    reports: mpsc::Receiver<BoxReport>,
}

fn rig(compartments: u32) -> Rig {
    let box_id = BoxId::parse("serial-box").unwrap();
    let slot = SlotNo::new(1).unwrap();
    let sim = SerialSimulator::start(box_id.clone(), compartments, &[slot]).unwrap();
    let setup = SerialSetup {
        buses: vec![BusPort {
            path: sim.lock_path.clone(),
            baud: 19200,
            first_compartment: 1,
            boards: u8::try_from(compartments.div_ceil(16)).unwrap(),
            item_sensors: true,
        }],
        readers: vec![ReaderPort {
            slot,
            path: sim.reader_path.clone(),
            baud: 9600,
            profile: Profile::default(),
            keep: KEEP_COMMAND.to_vec(),
            give_back: GIVE_BACK_COMMAND.to_vec(),
        }],
        answer_timeout: Duration::from_millis(100),
        tries: 2,
        watch: Watch { poll_interval: Duration::from_millis(20) },
    };
    let (tx, reports) = mpsc::channel(64);
    let driver = open_serial_box(ReportSink::on_system_clock(box_id, tx), compartments, &setup).unwrap();
    Rig { sim, driver, reports }
}

impl Rig {
    async fn next(&mut self) -> BoxReport {
        tokio::time::timeout(Duration::from_secs(5), self.reports.recv()).await.expect("a report in time").unwrap()
    }

    /// Waits until the watcher has had its first look at every board.
    async fn settled(&self, c: CompartmentNo) {
        for _ in 0..200 {
            if self.driver.door_state(c) != DoorState::Unknown {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the boards never answered");
    }
}

#[tokio::test]
async fn a_door_opens_on_the_wire_and_its_closing_is_seen_by_polling() {
    let mut rig = rig(40);
    rig.settled(no(40)).await;
    assert_eq!(rig.driver.door_state(no(20)), DoorState::Closed);
    rig.driver.open(no(20)).await.unwrap();
    let opened = rig.next().await;
    assert_eq!(opened.event, BoxEvent::DoorOpened { compartment: no(20) });
    assert_eq!(rig.driver.door_state(no(20)), DoorState::Open);
    assert_eq!(rig.sim.sim.view().open_doors, vec![no(20)], "only the one door opened");
    rig.sim.sim.close_door(no(20)).await.unwrap();
    let closed = rig.next().await;
    assert_eq!(closed.event, BoxEvent::DoorClosed { compartment: no(20), item_inside: Some(false) });
    assert!(closed.seq > opened.seq && closed.at >= opened.at, "stamped in order");
    assert_eq!(rig.sim.commands_seen(CMD_UNLOCK_ALL), 0);
    assert_eq!(rig.sim.commands_seen(0x31), 1, "one unlock, not retried after it was answered");
}

/// A hand already waiting at the door shuts it the moment it may; the driver, which confirms an
/// unlock by the status it asks for next, must still read the lock as opened.
#[tokio::test]
async fn a_hand_waiting_at_the_door_does_not_make_the_unlock_look_refused() {
    let mut rig = rig(40);
    rig.settled(no(40)).await;
    for _ in 0..20 {
        let sim = rig.sim.sim.clone();
        let hand = tokio::spawn(async move { sim.close_door(no(21)).await });
        tokio::time::sleep(Duration::from_millis(5)).await;
        rig.driver.open(no(21)).await.expect("the lock opened");
        hand.await.unwrap().expect("the hand shut the door once it had opened");
        assert_eq!(rig.next().await.event, BoxEvent::DoorOpened { compartment: no(21) });
        assert_eq!(rig.next().await.event, BoxEvent::DoorClosed { compartment: no(21), item_inside: Some(false) });
    }
}

#[tokio::test]
async fn a_stuck_lock_is_refused_and_a_silent_lock_is_an_unknown_outcome() {
    let mut rig = rig(16);
    rig.settled(no(1)).await;
    rig.sim.sim.set_fault(no(3), Some(LockFault::Stuck), None).await.unwrap();
    assert_eq!(rig.driver.open(no(3)).await, Err(DriverError::LockFailed(no(3))));
    rig.sim.sim.set_fault(no(4), Some(LockFault::NoAnswer), None).await.unwrap();
    assert_eq!(rig.driver.open(no(4)).await, Err(DriverError::NoAnswer(no(4))));
    assert!(rig.sim.sim.view().open_doors.is_empty());
    assert_eq!(rig.driver.open(no(17)).await, Err(DriverError::NoSuchCompartment(no(17))), "not wired");
    while let Ok(report) = rig.reports.try_recv() {
        assert!(!matches!(report.event, BoxEvent::DoorOpened { .. } | BoxEvent::DoorClosed { .. }), "{report:?}");
    }
}

#[tokio::test]
async fn a_silent_board_takes_its_compartments_away_until_it_answers_again() {
    let mut rig = rig(32);
    rig.settled(no(32)).await;
    rig.sim.sim.set_board_fault(no(18), BoardFault::Silent).await.unwrap();
    let silent = rig.next().await;
    let BoxEvent::BoardSilent { compartments, .. } = silent.event else { panic!("{silent:?}") };
    assert_eq!(compartments, (17..=32).map(no).collect::<Vec<_>>());
    assert!(!rig.driver.can_open(no(18)) && rig.driver.can_open(no(16)));
    assert_eq!(rig.driver.door_state(no(18)), DoorState::Unknown);
    // A door that opens meanwhile is seen once the board answers again.
    rig.sim.sim.set_board_fault(no(18), BoardFault::Ok).await.unwrap();
    rig.sim.sim.force_door(no(19)).await.unwrap();
    assert!(matches!(rig.next().await.event, BoxEvent::BoardAnswers { .. }));
    assert_eq!(rig.next().await.event, BoxEvent::DoorOpened { compartment: no(19) });
    assert!(rig.driver.can_open(no(18)));
}

#[tokio::test]
async fn a_board_that_answers_with_bad_checksums_is_as_good_as_silent() {
    let mut rig = rig(16);
    rig.settled(no(1)).await;
    rig.sim.sim.set_board_fault(no(1), BoardFault::Corrupt).await.unwrap();
    assert!(matches!(rig.next().await.event, BoxEvent::BoardSilent { .. }));
    assert_eq!(rig.driver.open(no(2)).await, Err(DriverError::NoAnswer(no(2))), "the door opened unconfirmed");
}

#[tokio::test]
async fn a_door_opened_without_a_command_is_reported_and_a_silent_sensor_reports_late() {
    let mut rig = rig(16);
    rig.settled(no(1)).await;
    rig.sim.sim.force_door(no(7)).await.unwrap();
    assert_eq!(rig.next().await.event, BoxEvent::DoorOpened { compartment: no(7) });
    rig.sim.sim.set_fault(no(7), None, Some(SensorFault::Silent)).await.unwrap();
    rig.sim.sim.close_door(no(7)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rig.reports.try_recv().is_err(), "a silent sensor says nothing");
    rig.sim.sim.set_fault(no(7), None, Some(SensorFault::Ok)).await.unwrap();
    assert_eq!(rig.next().await.event, BoxEvent::DoorClosed { compartment: no(7), item_inside: Some(false) });
}

#[tokio::test]
async fn the_reader_sends_the_zone_and_the_slot_keeps_or_gives_back() {
    let mut rig = rig(16);
    let slot = SlotNo::new(1).unwrap();
    rig.sim.sim.insert_document(slot, MRZ).await.unwrap();
    let read = rig.next().await;
    assert_eq!(read.event, BoxEvent::DocumentRead { slot, mrz: MRZ.to_owned() });
    rig.driver.keep_document(slot).await.unwrap();
    assert_eq!(rig.driver.keep_document(slot).await, Err(DriverError::SlotEmpty(slot)));
    for _ in 0..100 {
        if rig.sim.sim.view().documents_in_bin == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rig.sim.sim.view().documents_in_bin, 1, "the first went into the bin");
    rig.sim.sim.insert_document(slot, MRZ).await.unwrap();
    let _ = rig.next().await;
    rig.driver.return_document(slot).await.unwrap();
    for _ in 0..100 {
        if rig.sim.sim.view().documents_returned == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rig.sim.sim.view().documents_returned, 1);
}

#[tokio::test]
async fn one_box_with_silent_boards_does_not_delay_another_boxs_events() {
    // Two boxes report into one channel, as all boxes of a server do. Box A's every board is silent
    // and its driver very patient (10 s per answer, 3 tries: half a minute per look); box B's door
    // events still arrive within seconds, which they could not if B waited behind A.
    let (tx, mut reports) = mpsc::channel(64);
    let slot = SlotNo::new(1).unwrap();
    let mut drivers = Vec::new();
    let mut sims = Vec::new();
    for (name, timeout) in [("box-a", 10_000), ("box-b", 100)] {
        let box_id = BoxId::parse(name).unwrap();
        let sim = SerialSimulator::start(box_id.clone(), 32, &[slot]).unwrap();
        let setup = SerialSetup {
            buses: vec![BusPort {
                path: sim.lock_path.clone(),
                baud: 19200,
                first_compartment: 1,
                boards: 2,
                item_sensors: false,
            }],
            readers: vec![],
            answer_timeout: Duration::from_millis(timeout),
            tries: 3,
            watch: Watch { poll_interval: Duration::from_millis(20) },
        };
        drivers.push(open_serial_box(ReportSink::on_system_clock(box_id, tx.clone()), 32, &setup).unwrap());
        sims.push(sim);
    }
    assert!(drivers[1].first_look(Duration::from_secs(5)).await);
    for c in [1, 17] {
        sims[0].sim.set_board_fault(no(c), BoardFault::Silent).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    while reports.try_recv().is_ok() {}
    drivers[1].open(no(3)).await.unwrap();
    sims[1].sim.close_door(no(3)).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let report = tokio::time::timeout(Duration::from_secs(5), reports.recv()).await.unwrap().unwrap();
        if report.box_id.as_str() == "box-b" {
            seen.push(report.event);
        }
    }
    assert_eq!(
        seen,
        vec![
            BoxEvent::DoorOpened { compartment: no(3) },
            BoxEvent::DoorClosed { compartment: no(3), item_inside: None }
        ]
    );
}
