//! A box that fails: every lock fault has a defined outcome, and no document is ever given to the
//! wrong person or put where another already lies.

use abholbox_core::compartment::{CompartmentState, Defect};
use abholbox_core::ids::{BoxId, CompartmentNo};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{BOX, TestApp, german_id};
use crate::lockout::wait_returned;

pub(crate) async fn compartment_state(app: &TestApp, n: u32) -> (CompartmentState, Option<Defect>) {
    let c = app
        .service
        .store()
        .compartment(&BoxId::parse(BOX).unwrap(), CompartmentNo::new(n).unwrap())
        .await
        .unwrap()
        .unwrap();
    (c.state, c.defect)
}

#[tokio::test]
async fn a_stuck_lock_at_pickup_sends_the_citizen_to_the_counter_and_gives_the_old_document_back() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("FS-1", "0151 23456761", "1960-01-01", Some("L01X00T47")).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456761").await;
    app.fault(compartment, json!({ "lock": "stuck" })).await;
    let (session, status, _) = app.authenticate("0151 23456761", &pin).await;
    assert_eq!(status, StatusCode::OK);
    app.insert(&german_id("L01X00T47", "600101", "300101", "X", "Y")).await;
    wait_returned(&app, 1).await;
    let state = app.wait_step(&session, "ended").await;
    assert_eq!((state["reason"].as_str(), state["error"].as_str()), (Some("failed"), Some("compartment_did_not_open")));
    let sim = app.sim_box().await;
    assert_eq!((sim["open_doors"].clone(), sim["documents_in_bin"].clone()), (json!([]), json!(0)));
    let pickup = app.pickup(&id).await;
    assert_eq!(
        (pickup["status"].as_str(), pickup["compartment"].as_u64(), pickup["attention"].as_str()),
        (Some("ready"), Some(compartment), Some("compartment_did_not_open")),
        "intact, in its compartment, flagged"
    );
    app.assert_recorded(&id, "claim_failed").await;
    app.stop().await;
}

#[tokio::test]
async fn a_stuck_lock_at_pickup_with_the_birth_date_answers_that_the_box_failed() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("FS-2", "0151 23456762", "1960-01-01", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456762").await;
    app.fault(compartment, json!({ "lock": "stuck" })).await;
    let (session, _, _) = app.authenticate("0151 23456762", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("box_unavailable")));
    assert_eq!(app.state(&session).await["reason"], "failed");
    assert_eq!(app.pickup(&id).await["attention"], "compartment_did_not_open");
    app.stop().await;
}

#[tokio::test]
async fn a_stuck_lock_at_loading_retires_its_compartment_and_the_next_one_is_tried_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    // Out of reach and small, compartment 1 is chosen first, then 2, then 3.
    app.fault(1, json!({ "lock": "stuck" })).await;
    let id = app.register("FL-1", "0151 23456763", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::CREATED, Some(2)), "{body}");
    assert_eq!(compartment_state(&app, 1).await, (CompartmentState::Defective, Some(Defect::LockRefused)));
    app.close(2).await;
    app.wait_status(&id, "ready").await;
    app.assert_recorded(&id, "deposit_failed").await;

    app.fault(3, json!({ "lock": "stuck" })).await;
    app.fault(4, json!({ "lock": "stuck" })).await;
    let other = app.register("FL-2", "0151 23456764", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&other).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("box_unavailable")));
    assert_eq!(compartment_state(&app, 3).await.0, CompartmentState::Defective);
    assert_eq!(compartment_state(&app, 4).await.0, CompartmentState::Defective);
    assert_eq!(compartment_state(&app, 5).await.0, CompartmentState::Free, "tried once more, not on and on");
    assert_eq!(app.status(&other).await, "awaiting_deposit");
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["defective"], 3);
    app.stop().await;
}

#[tokio::test]
async fn an_unanswered_lock_at_loading_blocks_its_compartment_for_staff_and_never_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    app.fault(1, json!({ "lock": "no_answer" })).await;
    let id = app.register("FN-1", "0151 23456765", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("box_unavailable")));
    assert_eq!(compartment_state(&app, 1).await, (CompartmentState::Defective, Some(Defect::LockNoAnswer)));
    assert_eq!(app.status(&id).await, "awaiting_deposit", "no second try after no answer");

    // The lock comes back; the compartment stays out of use until staff have looked inside.
    app.fault(1, json!({ "lock": "ok" })).await;
    for n in 0..3 {
        let other = app.register(&format!("FN-{}", n + 2), &format!("0151 2345677{n}"), "1960-01-01", None).await;
        let (status, body) = app.deposit_raw(&other).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_ne!(body["compartment"], 1, "a compartment that may hold a document gets no second one");
    }
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!(status, StatusCode::CREATED, "the document can be loaded elsewhere: {body}");
    assert_ne!(body["compartment"], 1);
    app.stop().await;
}

/// A compartment a supervisor has open for service is nobody else's until its door closes: a
/// loading passes it over, and a citizen whose document lies in it goes to the counter with nothing
/// claimed (its door's close would otherwise be taken for the service's, and the document or the
/// hand-over lost).
#[tokio::test]
async fn a_compartment_open_for_service_is_neither_loaded_nor_claimed() {
    // Where a loading of this kind goes on an empty box: the same on every fresh box.
    let first_choice = {
        let dir = tempfile::tempdir().unwrap();
        let app = TestApp::spawn(dir.path()).await;
        let id = app.register("SV-0", "0151 23456770", "1960-01-01", None).await;
        let c = app.deposit(&id).await;
        app.stop().await;
        c
    };
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let supervisor = app.supervisor().await;
    let box_id = BoxId::parse(BOX).unwrap();
    let open_for_service = |c: u64| {
        let (app, supervisor, box_id) = (&app, &supervisor, &box_id);
        async move {
            let c = CompartmentNo::new(u32::try_from(c).unwrap()).unwrap();
            app.service.open_for_service(supervisor, box_id, c, "cleaning", None).await.unwrap();
        }
    };
    open_for_service(first_choice).await;
    let id = app.register("SV-1", "0151 23456771", "1960-01-01", None).await;
    let c = app.deposit(&id).await;
    assert_ne!(c, first_choice, "the compartment open for service is passed over");
    app.close(first_choice).await;

    open_for_service(c).await;
    let pin = app.pin_for("+4915123456771").await;
    let (session, _, _) = app.authenticate("0151 23456771", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{body}");
    assert_eq!(app.state(&session).await["error"], "compartment_unavailable");
    let stored = app.service.store().pickup(&abholbox_core::ids::PickupId::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!((stored.status.as_str(), stored.claimed_by), ("ready", None), "nothing claimed");

    // Once the service's door has closed, the citizen collects.
    app.close(c).await;
    for _ in 0..200 {
        let closed =
            app.service.store().audit_entries(50).await.unwrap().iter().any(|a| a.action == "service_door_closed");
        if closed && app.sim_box().await["open_doors"] == json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (session, _, _) = app.authenticate("0151 23456771", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("collect")), "{body}");
    app.close(c).await;
    app.wait_status(&id, "collected").await;

    // Nor is it opened for a withdrawal until the service's door has closed.
    let called_off = app.register("SV-2", "0151 23456772", "1960-01-01", None).await;
    let c = app.deposit(&called_off).await;
    let (status, _) = app
        .post(&format!("/api/v1/pickups/{called_off}/cancel"), Some(&app.integration), json!({ "reason": "x" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    open_for_service(c).await;
    let withdraw = format!("/api/v1/boxes/{BOX}/withdrawals");
    let (status, body) = app.post(&withdraw, Some(&app.integration), json!({ "pickup": called_off })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("door_open")), "{body}");
    assert_eq!(app.pickup(&called_off).await["withdrawing"], false);
    app.stop().await;
}
