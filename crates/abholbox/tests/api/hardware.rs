//! Hardware faults with defined outcomes, the same whichever driver runs the box: each scenario runs
//! on the in-process simulator and on the serial driver over pseudo-terminals to the serial
//! simulator, through the same control calls.

use std::time::Duration;

use abholbox_box::boards::kerong_cu16::CMD_UNLOCK_ALL;
use abholbox_core::compartment::{CompartmentState, Defect};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::faults::compartment_state;
use crate::helpers::{BOX, Driver, TestApp, german_id};

/// Runs a scenario once on each driver.
macro_rules! on_both_drivers {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use crate::helpers::Driver;
            #[tokio::test]
            async fn simulated() {
                super::$scenario(Driver::Simulated).await;
            }
            #[tokio::test]
            async fn serial() {
                super::$scenario(Driver::Serial).await;
            }
        }
    )*};
}

on_both_drivers!(
    a_whole_pickup_keeps_the_old_document_in_the_bin,
    a_stuck_lock_at_pickup_sends_the_citizen_to_the_counter_and_raises_an_alarm,
    a_stuck_lock_at_loading_retires_the_compartment_and_assigns_the_next,
    a_forced_door_raises_a_tamper_alarm_and_blocks_the_compartment_until_returned_to_service,
    a_silent_board_takes_its_compartments_away_until_it_answers_again,
    a_door_left_open_is_reminded_on_the_panel_then_raises_an_alarm,
    a_door_closed_on_the_document_is_no_hand_over,
    an_unreadable_document_is_given_back_and_the_slot_is_free_again,
);

async fn spawn(dir: &std::path::Path, driver: Driver) -> TestApp {
    TestApp::spawn_on(dir, driver, |_| {}).await
}

async fn alarms(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/alarms", Some(&app.admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// The open alarm of this kind, once it is there.
async fn wait_alarm(app: &TestApp, kind: &str) -> Value {
    for _ in 0..300 {
        if let Some(a) = alarms(app).await.into_iter().find(|a| a["kind"] == kind) {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let audit: Vec<String> = app
        .service
        .store()
        .audit_entries(10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.action, a.detail))
        .collect();
    panic!("no {kind} alarm: {:?}; audit: {audit:?}", alarms(app).await);
}

/// Whatever the scenario did, "unlock all" never went over the wire.
fn assert_no_unlock_all(app: &TestApp) {
    if let Some(serial) = &app.serial {
        assert_eq!(serial.commands_seen(CMD_UNLOCK_ALL), 0);
        assert!(serial.commands_seen(0x30) > 0, "the boards were watched");
    }
}

/// Waits until the compartment's door stands open: the lock follows the claim by a moment.
async fn open_door(app: &TestApp, c: u64) {
    for _ in 0..100 {
        if app.sim_box().await["open_doors"].as_array().unwrap().contains(&json!(c)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("door {c} never opened");
}

/// Registers, loads and readies a pickup; returns its id, compartment and PIN.
async fn ready(app: &TestApp, n: u32, old: Option<&str>) -> (String, u64, String) {
    let phone = format!("0151 234568{n:02}");
    let id = app.register(&format!("HW-{n}"), &phone, "1960-01-01", old).await;
    let c = app.deposit(&id).await;
    let pin = app.pin_for(&format!("+49151234568{n:02}")).await;
    (id, c, pin)
}

async fn a_whole_pickup_keeps_the_old_document_in_the_bin(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (id, c, pin) = ready(&app, 1, Some("L01X00T47")).await;
    let (session, status, _) = app.authenticate("0151 23456801", &pin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.insert(&german_id("L01X00T47", "600101", "300101", "X", "Y")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let state = app.wait_step(&session, "collect").await;
    assert_eq!(state["compartments"][0]["compartment"], c);
    // The session says which compartment the moment the claim is made; the lock follows.
    for _ in 0..100 {
        if app.sim_box().await["open_doors"] != json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.sim_box().await["open_doors"], json!([c]), "that door and no other");
    app.close(c).await;
    app.wait_status(&id, "collected").await;
    for _ in 0..100 {
        if app.sim_box().await["documents_in_bin"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.sim_box().await["documents_in_bin"], 1, "the old document went into the bin");
    assert!(alarms(&app).await.is_empty());
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_stuck_lock_at_pickup_sends_the_citizen_to_the_counter_and_raises_an_alarm(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (id, c, pin) = ready(&app, 2, None).await;
    app.fault(c, json!({ "lock": "stuck" })).await;
    let (session, _, _) = app.authenticate("0151 23456802", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("box_unavailable")));
    let state = app.state(&session).await;
    assert_eq!((state["reason"].as_str(), state["error"].as_str()), (Some("failed"), Some("compartment_did_not_open")));
    let pickup = app.pickup(&id).await;
    assert_eq!(
        (pickup["status"].as_str(), pickup["compartment"].as_u64(), pickup["attention"].as_str()),
        (Some("ready"), Some(c), Some("compartment_did_not_open")),
        "intact, in its compartment, flagged for staff"
    );
    let alarm = wait_alarm(&app, "lock_failed").await;
    assert_eq!((alarm["box"].as_str(), alarm["compartment"].as_u64()), (Some(BOX), Some(c)));
    assert_eq!(app.sim_box().await["open_doors"], json!([]));
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_stuck_lock_at_loading_retires_the_compartment_and_assigns_the_next(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    // Out of reach and small, compartment 1 is chosen first, then 2.
    app.fault(1, json!({ "lock": "stuck" })).await;
    let id = app.register("HW-3", "0151 23456803", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::CREATED, Some(2)), "{body}");
    assert_eq!(compartment_state(&app, 1).await, (CompartmentState::Defective, Some(Defect::LockRefused)));
    app.close(2).await;
    app.wait_status(&id, "ready").await;
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_forced_door_raises_a_tamper_alarm_and_blocks_the_compartment_until_returned_to_service(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (id, c, pin) = ready(&app, 4, None).await;
    app.fault(c, json!({ "door": "forced" })).await;
    let alarm = wait_alarm(&app, "door_forced").await;
    assert_eq!(alarm["compartment"].as_u64(), Some(c));
    assert_eq!(compartment_state(&app, c as u32).await, (CompartmentState::Defective, Some(Defect::DoorForced)));
    let path = format!("/api/v1/admin/boxes/{BOX}/compartments/{c}/return-to-service");
    let (status, body) = app.post(&path, Some(&app.admin), json!({ "reason": "looked" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("door_open")), "{body}");
    app.close(c).await;
    for _ in 0..100 {
        if app.sim_box().await["open_doors"] == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The citizen is sent to the counter; nothing is claimed, nothing opens.
    let (session, _, _) = app.authenticate("0151 23456804", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{body}");
    assert_eq!(app.state(&session).await["error"], "compartment_unavailable");
    assert_eq!(app.pickup(&id).await["status"], "ready");
    assert_eq!(app.sim_box().await["open_doors"], json!([]));

    // A supervisor looks inside and puts it back; the pickup goes on.
    let (status, _) = app.post(&path, Some(&app.admin), json!({ "reason": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
    // The serial driver learns of the close at its next look at the board.
    let mut answer = (StatusCode::OK, Value::Null);
    for _ in 0..100 {
        answer = app.post(&path, Some(&app.admin), json!({ "reason": "document inside, door fine" })).await;
        if answer.1["error"]["code"] != "door_open" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    assert_eq!(compartment_state(&app, c as u32).await, (CompartmentState::Occupied, None));
    let (status, body) = app.post(&path, Some(&app.admin), json!({ "reason": "again" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("compartment_in_use")), "{body}");
    let (session, _, _) = app.authenticate("0151 23456804", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_step(&session, "collect").await;
    open_door(&app, c).await;
    app.close(c).await;
    app.wait_status(&id, "collected").await;
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_silent_board_takes_its_compartments_away_until_it_answers_again(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    // Board 0 drives compartments 1-16; a document waits in compartment 1.
    let (waiting, c, pin) = ready(&app, 10, None).await;
    assert_eq!(c, 1);
    app.fault(1, json!({ "board": "silent" })).await;
    let alarm = wait_alarm(&app, "board_silent").await;
    assert_eq!((alarm["detail"]["compartments"].as_u64(), alarm["compartment"].as_u64()), (Some(16), Some(1)));
    // Its citizen is sent to the counter at once: nothing is claimed, nothing flagged as failed.
    let (session, _, _) = app.authenticate("0151 23456810", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{body}");
    let p = app.pickup(&waiting).await;
    assert_eq!((p["status"].as_str(), p["attention"].as_str()), (Some("ready"), None), "{p}");
    // The next best compartment off the silent board: out of reach, smallest, lowest (the first few of
    // that kind, which the loading reads first, are all on the silent board).
    let box_id = abholbox_core::ids::BoxId::parse(BOX).unwrap();
    let next_best = app
        .service
        .store()
        .compartments(&box_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.number.get() > 16 && c.state == CompartmentState::Free && !c.within_reach)
        .min_by_key(|c| (c.size, c.number))
        .unwrap();
    let id = app.register("HW-5", "0151 23456805", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["compartment"].as_u64(),
        Some(u64::from(next_best.number.get())),
        "not on the silent board: {body}"
    );
    app.close(body["compartment"].as_u64().unwrap()).await;

    // It recovers by itself once the board answers again: its compartments are offered first again.
    app.fault(1, json!({ "board": "ok" })).await;
    for _ in 0..300 {
        let audit = app.service.store().audit_entries(10_000).await.unwrap();
        if audit.iter().any(|a| a.action == "board_answers") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let other = app.register("HW-6", "0151 23456806", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&other).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::CREATED, Some(2)), "{body}");
    app.close(2).await;

    // Every board silent: the panel says "out of order" instead of starting a session.
    for first in (1..=600).step_by(16) {
        app.fault(first, json!({ "board": "silent" })).await;
    }
    for _ in 0..400 {
        if alarms(&app).await.iter().filter(|a| a["kind"] == "board_silent").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let silent: Vec<Value> = alarms(&app).await.into_iter().filter(|a| a["kind"] == "board_silent").collect();
    assert!(silent.len() >= 2, "an alarm for each silent board: {silent:?}");
    let mut answer = (StatusCode::OK, Value::Null);
    for _ in 0..400 {
        answer = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
        if answer.0 == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        (answer.0, answer.1["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("box_out_of_order"))
    );
    for first in (1..=600).step_by(16) {
        app.fault(first, json!({ "board": "ok" })).await;
    }
    for _ in 0..400 {
        answer = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
        if answer.0 != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(answer.0.is_success(), "back in order by itself: {:?}", answer);
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_door_left_open_is_reminded_on_the_panel_then_raises_an_alarm(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (id, c, pin) = ready(&app, 7, None).await;
    let (session, _, _) = app.authenticate("0151 23456807", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let state = app.wait_step(&session, "collect").await;
    assert_eq!(state["close_door_reminder"], false);
    let timeout = i64::from(app.config.kiosk.collect_timeout_seconds);
    app.clock.advance(chrono::Duration::seconds(timeout / 2 + 1));
    assert_eq!(app.state(&session).await["close_door_reminder"], true, "the panel asks to close the door");
    assert!(alarms(&app).await.is_empty(), "no alarm yet");
    app.clock.advance(chrono::Duration::seconds(timeout / 2 + 1));
    app.service.housekeeping().await.unwrap();
    let alarm = wait_alarm(&app, "door_left_open").await;
    assert_eq!(alarm["compartment"].as_u64(), Some(c));
    assert_eq!(app.pickup(&id).await["attention"], "door_left_open");
    // A late close still records the hand-over.
    open_door(&app, c).await;
    app.close(c).await;
    app.wait_status(&id, "collected").await;

    // A compartment opened for loading and left open raises its alarm as well.
    let loading = app.register("HW-9", "0151 23456809", "1960-01-01", None).await;
    let (status, body) = app.deposit_raw(&loading).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let loaded = body["compartment"].as_u64().unwrap();
    let pickup_id = abholbox_core::ids::PickupId::parse(&loading).unwrap();
    for _ in 0..100 {
        let record = app.service.store().pickup(&pickup_id).await.unwrap().unwrap();
        if record.door_opened_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.clock.advance(chrono::Duration::seconds(timeout + 1));
    app.service.housekeeping().await.unwrap();
    let alarms = alarms(&app).await;
    assert!(alarms.iter().any(|a| a["kind"] == "door_left_open" && a["compartment"] == loaded), "{alarms:?}");
    app.close(loaded).await;
    app.wait_status(&loading, "ready").await;
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn a_door_closed_on_the_document_is_no_hand_over(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (id, c, pin) = ready(&app, 8, None).await;
    let (session, _, _) = app.authenticate("0151 23456808", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_step(&session, "collect").await;
    open_door(&app, c).await;
    // The citizen shuts the door without taking the document; the item sensor still sees it.
    let path = format!("/api/v1/sim/boxes/{BOX}/compartments/{c}/close");
    let (status, body) = app.post(&path, None, json!({ "item_inside": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let alarm = wait_alarm(&app, "document_left_inside").await;
    assert_eq!(alarm["compartment"].as_u64(), Some(c));
    let pickup = app.pickup(&id).await;
    assert_eq!(
        (pickup["status"].as_str(), pickup["attention"].as_str()),
        (Some("ready"), Some("document_left_inside")),
        "the pickup stays open for staff"
    );
    let state = app.state(&session).await;
    assert_eq!((state["reason"].as_str(), state["error"].as_str()), (Some("failed"), Some("document_left_inside")));
    app.assert_recorded(&id, "document_left_inside").await;
    let (status, body) = app.post(&path, None, json!({ "item_inside": "yes" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    assert_no_unlock_all(&app);
    app.stop().await;
}

async fn an_unreadable_document_is_given_back_and_the_slot_is_free_again(driver: Driver) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), driver).await;
    let (status, _) = app.insert("NOT A MACHINE READABLE ZONE").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for _ in 0..150 {
        if app.sim_box().await["documents_returned"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sim = app.sim_box().await;
    assert_eq!((sim["documents_returned"].as_u64(), sim["slot_occupied"].as_bool()), (Some(1), Some(false)), "{sim}");
    let (status, body) = app.insert(&german_id("L01X00T47", "600101", "300101", "X", "Y")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the slot takes the next document: {body}");
    app.stop().await;
}
