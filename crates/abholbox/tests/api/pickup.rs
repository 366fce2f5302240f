//! Whole pickups, the way the box is meant to be used.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, german_id};

#[tokio::test]
async fn pickup_with_the_old_document() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("A-1", "0151 23456701", "1974-08-12", Some("T22000129")).await;
    assert_eq!(app.status(&id).await, "awaiting_deposit");
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456701").await;
    assert_eq!(pin.len(), 6);

    let (session, status, body) = app.authenticate("+49 151 23456701", &pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"], "old_document");
    assert_eq!(body["document"], json!({ "position": 1, "of": 1, "kind": "id_card" }));
    let (status, _) = app.insert(&german_id("T22000129", "740812", "310101", "MUSTERMANN", "ERIKA")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let state = app.wait_step(&session, "collect").await;
    assert_eq!(state["compartments"][0]["compartment"], compartment);
    assert!(state["compartments"][0]["label"].as_str().unwrap().contains('-'));
    assert_eq!(app.sim_box().await["documents_in_bin"], 1, "the old document is kept for destruction");
    assert_eq!(app.status(&id).await, "ready", "not collected before the door closes");

    app.close(compartment).await;
    app.wait_step(&session, "done").await;
    app.wait_status(&id, "collected").await;
    let (events, audit) = app.history(&id).await;
    let expected =
        ["registered", "deposit_started", "deposit_completed", "claimed", "old_document_kept", "handed_over"];
    assert_eq!(events, expected, "each state change wrote its event");
    assert_eq!(audit, expected, "and its audit entry");
    let pickup = app.pickup(&id).await;
    assert!(pickup["collected_at"].is_string(), "the proof of hand-over is recorded: {pickup}");
    assert!(pickup["compartment"].is_null());
    let shown = pickup.to_string();
    assert!(!shown.contains("23456701") && !shown.contains(&pin) && !shown.contains("T22000129"), "{shown}");
    let (status, body) = app.step(&session, "pin", json!({ "pin": pin })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::GONE, Some("session_ended")));
    app.stop().await;
}

#[tokio::test]
async fn pickup_with_the_birth_date() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("B-1", "0151 23456702", "1988-02-29", None).await;
    let compartment = app.deposit(&id).await;
    let texts = app.sms_to("+4915123456702", 1).await;
    assert!(
        texts[0]
            .starts_with("Personalausweis liegt in der Abholbox Dienstleistungszentrum, Willi-Becker-Allee 7. PIN "),
        "{}",
        texts[0]
    );
    let pin = app.pin_for("+4915123456702").await;
    assert!(texts[0].contains(&format!("PIN {pin}, abholen bis ")), "{}", texts[0]);
    assert!(!texts[0].contains("mitbringen"), "no old document asked for: {}", texts[0]);

    let (session, status, body) = app.authenticate("015123456702", &pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")));
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1988-02-29" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"], "collect");
    assert_eq!(body["compartments"][0]["compartment"], compartment);
    assert_eq!(app.sim_box().await["open_doors"], json!([compartment]));
    app.close(compartment).await;
    app.wait_status(&id, "collected").await;
    assert_eq!(app.state(&session).await["step"], "done");
    let (_, events) = app.get(&format!("/api/v1/pickups/{id}/events"), Some(&app.integration)).await;
    let kinds: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["registered", "deposit_started", "deposit_completed", "claimed", "handed_over"]);
    assert_eq!(events[4]["data"]["status"], "collected");
    assert!(!events.to_string().contains("1988-02-29") && !events.to_string().contains("23456702"));
    app.stop().await;
}

#[tokio::test]
async fn a_wheelchair_users_document_goes_within_reach() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (_, low) = app.register_raw("W-1", "0151 23456703", "1950-01-01", None, true).await;
    let (_, high) = app.register_raw("W-2", "0151 23456704", "1950-01-01", None, false).await;
    let (_, low) = app.deposit_raw(low["id"].as_str().unwrap()).await;
    let (_, high) = app.deposit_raw(high["id"].as_str().unwrap()).await;
    // The demo box has 12 rows of 5 per module; rows 6 to 10 are within reach.
    let row = |c: &serde_json::Value| (c["compartment"].as_u64().unwrap() - 1) % 60 / 5 + 1;
    assert!((6..=10).contains(&row(&low)), "{low}");
    assert!(!(6..=10).contains(&row(&high)), "reachable compartments are kept for those who need them: {high}");
    app.stop().await;
}

#[tokio::test]
async fn an_idle_session_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let session = app.session().await;
    app.step(&session, "phone", json!({ "phone": "0151 23456705" })).await;
    app.clock.advance(chrono::Duration::seconds(119));
    assert_eq!(app.state(&session).await["step"], "pin");
    app.clock.advance(chrono::Duration::seconds(2));
    let state = app.state(&session).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("timeout")));
    let (status, _) = app.step(&session, "pin", json!({ "pin": "123456" })).await;
    assert_eq!(status, StatusCode::GONE);

    // A panel that is never heard from again: the server ends its session by itself.
    let left = app.session().await;
    app.step(&left, "phone", json!({ "phone": "0151 23456706" })).await;
    let typed = || app.db.number("SELECT COUNT(*) FROM kiosk_sessions WHERE phone_hash IS NOT NULL");
    assert_eq!(typed().await, 1);
    app.clock.advance(chrono::Duration::seconds(121));
    app.service.housekeeping().await.unwrap();
    assert_eq!(typed().await, 0, "the phone hash goes with the idle session, unasked");
    let open = app.db.number("SELECT COUNT(*) FROM kiosk_sessions WHERE step NOT IN ('ended', 'done')").await;
    assert_eq!(open, 0, "no session is left open");
    let state = app.state(&left).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("timeout")));
    app.stop().await;
}
