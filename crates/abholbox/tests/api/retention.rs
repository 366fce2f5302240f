//! Retention on the service's clock: an ended pickup is pseudonymised, then deleted; waiting ones
//! and the audit log stay.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn an_ended_pickup_is_pseudonymised_after_90_days_and_deleted_after_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let collected = app.register("RT-1", "0151 23456790", "1970-01-01", None).await;
    let compartment = app.deposit(&collected).await;
    let pin = app.pin_for("+4915123456790").await;
    let (session, status, body) = app.authenticate("0151 23456790", &pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1970-01-01" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.close(compartment).await;
    app.wait_status(&collected, "collected").await;
    let waiting = app.register("RT-2", "0151 23456791", "1970-01-01", None).await;
    let sessions = || app.db.number("SELECT COUNT(*) FROM kiosk_sessions");
    let phone_hashes = app.db.number("SELECT COUNT(*) FROM kiosk_sessions WHERE phone_hash IS NOT NULL").await;
    assert_eq!(phone_hashes, 0, "a session past its PIN keeps no phone hash");
    assert!(sessions().await >= 1);

    app.clock.advance(Duration::days(31));
    let done = app.service.apply_retention().await.unwrap();
    assert_eq!((done.pseudonymised, done.deleted), (0, 0));
    assert!(done.sessions_deleted >= 1);
    assert_eq!(sessions().await, 0, "sessions go after 30 days");
    assert_eq!(app.pickup(&collected).await["reference"], "RT-1", "not yet");

    app.clock.advance(Duration::days(60));
    let done = app.service.apply_retention().await.unwrap();
    assert_eq!((done.pseudonymised, done.deleted), (1, 0));
    let pickup = app.pickup(&collected).await;
    assert_eq!(pickup["reference"], format!("pseudonymised-{collected}"));
    assert_eq!(pickup["status"], "collected", "it still counts");
    let (_, events) = app.get(&format!("/api/v1/pickups/{collected}/events"), Some(&app.integration)).await;
    assert_eq!(events[0]["data"]["reference"], format!("pseudonymised-{collected}"), "the feed's copy too");
    assert!(!events.to_string().contains("RT-1"), "{events}");
    assert_eq!(app.service.apply_retention().await.unwrap().pseudonymised, 0, "once");

    app.clock.advance(Duration::days(275));
    assert_eq!(app.service.apply_retention().await.unwrap().deleted, 1);
    let (status, _) = app.get(&format!("/api/v1/pickups/{collected}"), Some(&app.integration)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let events = app.db.number(&format!("SELECT COUNT(*) FROM events WHERE pickup_id = '{collected}'")).await;
    assert_eq!(events, 0, "its events went with it");
    let waiting = app.pickup(&waiting).await;
    assert_eq!(
        (&waiting["reference"], &waiting["status"]),
        (&json!("RT-2"), &json!("cancelled")),
        "an opt-in never loaded is called off, and its reference stays as long as any ended pickup's"
    );
    let audit = app.db.number(&format!("SELECT COUNT(*) FROM audit_log WHERE object = '{collected}'")).await;
    assert!(audit >= 3, "the audit log keeps its entries");
    let named = app.db.number("SELECT COUNT(*) FROM audit_log WHERE CAST(detail AS TEXT) LIKE '%RT-1%'").await;
    assert_eq!(named, 0, "and they never named the registry's reference");
    app.stop().await;
}

/// A called-off pickup whose document still lies in the box is staff's to take out: retention keeps
/// it (and so its compartment's occupant and its place on the list to withdraw) however long it waits,
/// and takes its course once the document is out.
#[tokio::test]
async fn a_called_off_document_still_in_the_box_outlives_retention_until_it_is_taken_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("RT-3", "0151 23456792", "1970-01-01", None).await;
    let compartment = app.deposit(&id).await;
    let path = format!("/api/v1/pickups/{id}/cancel");
    let (status, _) = app.post(&path, Some(&app.integration), json!({ "reason": "at the counter" })).await;
    assert_eq!(status, StatusCode::OK);

    app.clock.advance(Duration::days(400));
    let done = app.service.apply_retention().await.unwrap();
    assert_eq!((done.pseudonymised, done.deleted), (0, 0));
    let pickup = app.pickup(&id).await;
    assert_eq!((pickup["reference"].as_str(), pickup["compartment"].as_u64()), (Some("RT-3"), Some(compartment)));

    let withdraw = format!("/api/v1/boxes/{}/withdrawals", crate::helpers::BOX);
    let (status, body) = app.post(&withdraw, Some(&app.integration), json!({ "pickup": id })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.close(compartment).await;
    app.wait_status(&id, "withdrawn").await;
    app.clock.advance(Duration::days(366));
    let done = app.service.apply_retention().await.unwrap();
    assert_eq!((done.pseudonymised, done.deleted), (1, 1));
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["free"], 600, "its compartment is free");
    app.stop().await;
}

/// An opt-in whose document never came is called off after 180 days, its personal data erased and
/// the registry told by the feed; one loaded, or registered later, is left alone.
#[tokio::test]
async fn an_opt_in_whose_document_never_came_is_called_off_after_180_days() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let never = app.register("NL-1", "0151 23456792", "1970-01-01", None).await;
    let loaded = app.register("NL-2", "0151 23456793", "1970-01-01", None).await;
    app.deposit(&loaded).await;
    app.clock.advance(Duration::days(100));
    let young = app.register("NL-3", "0151 23456794", "1970-01-01", None).await;
    let db = &app.db;
    let personal = |id: &str| {
        let sql = format!("SELECT COUNT(*) FROM personal_data WHERE pickup_id = '{id}'");
        async move { db.number(&sql).await }
    };
    assert_eq!(app.service.apply_retention().await.unwrap().never_loaded, 0, "100 days is not long enough");
    assert_eq!(app.status(&never).await, "awaiting_deposit");

    app.clock.advance(Duration::days(81));
    assert_eq!(app.service.apply_retention().await.unwrap().never_loaded, 1);
    assert_eq!(app.status(&never).await, "cancelled");
    assert_eq!(personal(&never).await, 0, "its phone number and birth date are gone");
    let (events, _) = app.history(&never).await;
    assert_eq!(events.last().map(String::as_str), Some("cancelled"), "the feed tells the registry: {events:?}");
    let why = app
        .db
        .number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE object = '{never}' AND action = 'reason' AND actor = 'system'"
        ))
        .await;
    assert_eq!(why, 1, "the audit log says why");
    assert_eq!(app.status(&young).await, "awaiting_deposit", "registered 81 days ago");
    assert_eq!(personal(&young).await, 1);
    assert_ne!(app.status(&loaded).await, "cancelled", "a document in the box is the expiry's business");
    assert_eq!(app.service.apply_retention().await.unwrap().never_loaded, 0, "once");
    app.stop().await;
}
