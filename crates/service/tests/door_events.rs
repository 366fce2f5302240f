//! Door events against a real SQLite store: applied as they are stored, except behind an earlier
//! event of the same compartment that still waits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use abholbox_core::ids::BoxId;
use abholbox_service::Principal;
use abholbox_service::clock::Clock;
use abholbox_service::deposits::DepositTarget;
use abholbox_store::{DoorMove, NewBoxEvent, Store};
use common::{registration, world};

#[tokio::test]
async fn a_door_event_behind_a_waiting_one_waits_and_both_apply_in_order() {
    let mut w = world().await;
    let b1 = BoxId::parse("b1").unwrap();
    let pickup = w.service.register(&Principal::Host, registration("D-1")).await.unwrap();
    let started =
        w.service.start_deposit(&Principal::Host, &b1, DepositTarget::Pickup(pickup.id.clone())).await.unwrap();
    let _opened = w.reports.recv().await.unwrap();
    // The door's opening was stored but could not be applied yet (say the database was busy).
    let at = w.clock.now();
    let mut tx = w.store.begin().await.unwrap();
    tx.insert_box_event(&NewBoxEvent {
        box_id: b1.clone(),
        door: DoorMove::Opened,
        compartment: started.compartment,
        at,
        item_inside: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    w.sim.close_door(started.compartment).await.unwrap();
    let closed = w.reports.recv().await.unwrap();
    w.service.take_report(closed).await;
    assert_eq!(
        w.service.pickup(&pickup.id).await.unwrap().status.as_str(),
        "depositing",
        "the close is not applied before the open it follows"
    );
    assert_eq!(w.store.pending_box_events(10).await.unwrap().len(), 2, "it waits behind it");
    assert_eq!(w.service.apply_pending_box_events().await.unwrap(), 2, "opened, then closed");
    assert_eq!(w.service.pickup(&pickup.id).await.unwrap().status.as_str(), "ready");
}

#[tokio::test]
async fn a_door_event_is_applied_as_it_is_stored() {
    let mut w = world().await;
    let b1 = BoxId::parse("b1").unwrap();
    let pickup = w.service.register(&Principal::Host, registration("D-2")).await.unwrap();
    let started =
        w.service.start_deposit(&Principal::Host, &b1, DepositTarget::Pickup(pickup.id.clone())).await.unwrap();
    let opened = w.reports.recv().await.unwrap();
    w.service.take_report(opened).await;
    w.sim.close_door(started.compartment).await.unwrap();
    let closed = w.reports.recv().await.unwrap();
    w.service.take_report(closed).await;
    assert_eq!(w.service.pickup(&pickup.id).await.unwrap().status.as_str(), "ready");
    assert!(w.store.pending_box_events(10).await.unwrap().is_empty(), "nothing left for the applier");
    let events = w.store.events_of_pickup(&pickup.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "deposit_completed").count(), 1, "applied exactly once");
}
