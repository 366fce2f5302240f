//! Panels: a kiosk token is one panel; its sessions are its own, and what its slot reads reaches only
//! them.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, german_id};
use crate::lockout::wait_returned;

#[tokio::test]
async fn another_panel_cannot_see_or_drive_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("P-1", "0151 23456751", "1966-06-06", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456751").await;
    let session = app.session_at(&app.kiosk).await;
    let path = |what: &str| format!("/api/v1/kiosk/sessions/{session}{what}");
    let (status, body) = app.get(&path(""), Some(&app.kiosk2)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    for (what, body) in [
        ("/phone", json!({ "phone": "0151 23456751" })),
        ("/pin", json!({ "pin": pin })),
        ("/birth-date", json!({ "birth_date": "1966-06-06" })),
        ("/cancel", json!({})),
    ] {
        let (status, answer) = app.post(&path(what), Some(&app.kiosk2), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {answer}");
    }
    let (_, body) = app.step(&session, "phone", json!({ "phone": "0151 23456751" })).await;
    assert_eq!(body["step"], "pin", "the session itself is untouched");
    app.stop().await;
}

#[tokio::test]
async fn a_document_in_one_panels_slot_never_reaches_the_other_panels_session() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let a = app.register("P-2", "0151 23456752", "1966-06-06", Some("L01X00T47")).await;
    app.deposit(&a).await;
    let b = app.register("P-3", "0151 23456753", "1966-06-06", Some("T22000129")).await;
    app.deposit(&b).await;
    let pin_a = app.pin_for("+4915123456752").await;
    let pin_b = app.pin_for("+4915123456753").await;
    let (session_a, _, _) = app.authenticate_at(&app.kiosk, "0151 23456752", &pin_a).await;

    // A's old document goes into B's slot, where nobody waits: it comes back, A's session is untouched.
    let a_document = german_id("L01X00T47", "660606", "300101", "X", "Y");
    app.insert_at(&app.kiosk2_id, &a_document).await;
    wait_returned(&app, 1).await;
    let state = app.state(&session_a).await;
    assert_eq!((state["step"].as_str(), state["error"].clone()), (Some("old_document"), json!(null)));

    // B's citizen waits at B; A's document in B's slot is B's wrong document, never A's right one.
    let (session_b, _, _) = app.authenticate_at(&app.kiosk2, "0151 23456753", &pin_b).await;
    app.insert_at(&app.kiosk2_id, &a_document).await;
    wait_returned(&app, 2).await;
    let b_state = app.state_at(&app.kiosk2, &session_b).await;
    assert_eq!(b_state["error"], "old_document_rejected");
    assert_eq!(app.state(&session_a).await["step"], "old_document");
    assert_eq!(app.sim_box().await["open_doors"], json!([]));

    // In A's own slot it opens A's compartment.
    app.insert_at(&app.kiosk_id, &a_document).await;
    app.wait_step(&session_a, "collect").await;
    assert_eq!(app.state_at(&app.kiosk2, &session_b).await["step"], "old_document");
    app.stop().await;
}

#[tokio::test]
async fn a_new_session_on_a_panel_ends_the_one_left_there_whichever_token_started_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let box_id = abholbox_core::ids::BoxId::parse(crate::helpers::BOX).unwrap();
    let panel = abholbox_core::ids::PanelId::parse("a").ok();
    let (_, replacement) = app
        .service
        .create_token(&abholbox_service::Principal::Host, abholbox_store::Role::Kiosk, Some(box_id), panel, "new PC")
        .await
        .unwrap();
    let left = app.session_at(&app.kiosk).await;
    let other_panel = app.session_at(&app.kiosk2).await;
    app.session_at(&replacement).await;
    let state = app.state(&left).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("cancelled")));
    assert_eq!(app.state_at(&app.kiosk2, &other_panel).await["step"], "phone", "panel b is its own");
    app.stop().await;
}

#[tokio::test]
async fn revoking_a_panels_token_ends_its_open_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("P-4", "0151 23456754", "1966-06-06", Some("L01X00T47")).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456754").await;
    let (session, status, _) = app.authenticate_at(&app.kiosk, "0151 23456754", &pin).await;
    assert_eq!(status, StatusCode::OK);
    app.service.revoke_token(&abholbox_service::Principal::Host, &app.kiosk_id).await.unwrap();
    let stored =
        app.service.store().session(&abholbox_core::ids::SessionId::parse(&session).unwrap()).await.unwrap().unwrap();
    assert_eq!((stored.state.step.as_str(), stored.last_error.as_deref()), ("ended", Some("token_revoked")));
    app.insert_at(&app.kiosk_id, &german_id("L01X00T47", "660606", "300101", "X", "Y")).await;
    wait_returned(&app, 1).await;
    assert_eq!(app.sim_box().await["open_doors"], json!([]), "a stolen panel's session opens nothing");
    app.stop().await;
}
