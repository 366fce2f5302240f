//! No door event is lost and no session is stuck: events wait in the database until they apply, an
//! open door is noticed, and a restart ends what stood at an open compartment.

use std::time::Duration;

use crate::helpers::{Db, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// A failing disk, a full volume: the database refuses to record a hand-over, from outside the server.
async fn trouble(db: &Db, on: bool) {
    let sql = match (db, on) {
        (Db::Sqlite(_), true) => {
            "CREATE TRIGGER trouble BEFORE UPDATE OF status ON pickups WHEN NEW.status = 'collected'
             BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        }
        (Db::Sqlite(_), false) => "DROP TRIGGER trouble",
        (Db::Postgres(_), true) => {
            "CREATE FUNCTION trouble() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'simulated disk trouble'; END $$;
             CREATE TRIGGER trouble BEFORE UPDATE OF status ON pickups FOR EACH ROW
             WHEN (NEW.status = 'collected') EXECUTE FUNCTION trouble()"
        }
        (Db::Postgres(_), false) => "DROP TRIGGER trouble ON pickups; DROP FUNCTION trouble()",
    };
    db.execute(sql).await;
}

/// Opens the compartment of a ready pickup for its citizen; returns the session and the compartment.
async fn collect(app: &TestApp, phone: &str, birth: &str, e164: &str) -> (String, u64) {
    let pin = app.pin_for(e164).await;
    let (session, status, _) = app.authenticate(phone, &pin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": birth })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (session, body["compartments"][0]["compartment"].as_u64().unwrap())
}

#[tokio::test]
async fn a_door_event_that_cannot_apply_waits_in_the_database_and_applies_later_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("DE-1", "0151 23456791", "1970-07-07", None).await;
    app.deposit(&id).await;
    let (_, compartment) = collect(&app, "0151 23456791", "1970-07-07", "+4915123456791").await;

    // The database refuses to record a hand-over for a while.
    trouble(&app.db, true).await;
    app.close(compartment).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.status(&id).await, "ready", "not applied while the database refuses");
    let last = "FROM box_events WHERE door = 'door_closed' AND applied_at IS NULL";
    let attempts = app.db.number(&format!("SELECT COALESCE(MAX(attempts), 0) {last}")).await;
    assert!(attempts >= 3, "tried again and again, and kept: {attempts}");

    // The server stops with the event still pending; the trouble is fixed; it starts again.
    let db = app.db.clone();
    app.stop().await;
    trouble(&db, false).await;
    let restarted_at = chrono::Utc::now();
    let app = TestApp::spawn(dir.path()).await;
    app.wait_status(&id, "collected").await;
    let pickup = app.pickup(&id).await;
    let collected_at: chrono::DateTime<chrono::Utc> = pickup["collected_at"].as_str().unwrap().parse().unwrap();
    assert!(collected_at < restarted_at - chrono::Duration::seconds(2), "the moment the door closed, not when applied");
    assert!(pickup["attention"].is_null(), "the proof arrived: nothing left for staff: {pickup}");
    app.assert_recorded(&id, "handed_over").await;
    app.stop().await;
}

#[tokio::test]
async fn a_door_left_open_ends_the_session_flags_the_pickup_and_a_late_close_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("DO-1", "0151 23456792", "1970-07-07", None).await;
    app.deposit(&id).await;
    let (session, compartment) = collect(&app, "0151 23456792", "1970-07-07", "+4915123456792").await;
    // The door sensor goes silent; the citizen closes the door unseen.
    app.fault(compartment, json!({ "door_sensor": "silent" })).await;
    app.close(compartment).await;

    app.clock.advance(chrono::Duration::seconds(119));
    app.service.housekeeping().await.unwrap();
    assert_eq!(app.state(&session).await["step"], "collect", "not before the timeout");
    let supervisor = app.supervisor().await;
    let pickup_id = abholbox_core::ids::PickupId::parse(&id).unwrap();
    let early = app.service.release_claim(&supervisor, &pickup_id, "looked too early").await;
    assert!(
        matches!(early, Err(abholbox_service::Error::HandoverInProgress)),
        "no release while the citizen may stand at the open door: {early:?}"
    );
    app.clock.advance(chrono::Duration::seconds(2));
    let state = app.wait_step(&session, "ended").await;
    assert_eq!((state["reason"].as_str(), state["error"].as_str()), (Some("door_left_open"), Some("door_left_open")));
    let pickup = app.pickup(&id).await;
    assert_eq!((pickup["status"].as_str(), pickup["attention"].as_str()), (Some("ready"), Some("door_left_open")));
    app.assert_recorded(&id, "door_left_open").await;

    // The sensor comes back and reports the door as it is: closed. The hand-over is recorded.
    app.fault(compartment, json!({ "door_sensor": "ok" })).await;
    app.wait_status(&id, "collected").await;
    assert!(app.pickup(&id).await["attention"].is_null());
    app.assert_recorded(&id, "handed_over").await;
    assert_eq!(app.state(&session).await["reason"], "door_left_open", "the ended session stays ended");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_ends_the_sessions_that_stood_at_an_open_compartment() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("DI-1", "0151 23456793", "1970-07-07", None).await;
    app.deposit(&id).await;
    let (session, _) = collect(&app, "0151 23456793", "1970-07-07", "+4915123456793").await;
    let panel = app.kiosk.clone();
    app.stop().await;
    let app = TestApp::spawn(dir.path()).await;
    let state = app.state_at(&panel, &session).await;
    assert_eq!(state["step"], "ended", "{state}");
    assert_eq!(state["reason"], "interrupted");
    assert_eq!(app.pickup(&id).await["attention"], "handover_unconfirmed");
    app.assert_recorded(&id, "interrupted").await;
    app.stop().await;
}
