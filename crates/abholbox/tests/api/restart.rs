//! A restart loses nothing, and never reopens a compartment by itself.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_restart_between_deposit_and_pickup_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("RS-1", "0151 23456750", "1990-10-10", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456750").await;
    app.stop().await;

    let app = TestApp::spawn(dir.path()).await;
    let pickup = app.pickup(&id).await;
    assert_eq!((pickup["status"].as_str(), pickup["compartment"].as_u64()), (Some("ready"), Some(compartment)));
    assert!(pickup["attention"].is_null());
    let (session, status, body) = app.authenticate("0151 23456750", &pin).await;
    assert_eq!(status, StatusCode::OK, "the PIN survives the restart: {body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1990-10-10" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.close(compartment).await;
    app.wait_status(&id, "collected").await;
    app.stop().await;
}

#[tokio::test]
async fn a_hand_over_cut_off_by_a_restart_is_flagged_not_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("RS-2", "0151 23456751", "1990-10-10", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456751").await;
    let (session, _, _) = app.authenticate("0151 23456751", &pin).await;
    let (status, _) = app.step(&session, "birth-date", json!({ "birth_date": "1990-10-10" })).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;

    let app = TestApp::spawn(dir.path()).await;
    let pickup = app.pickup(&id).await;
    assert_eq!(pickup["status"], "ready", "no door-closed event: not collected");
    assert_eq!(pickup["attention"], "handover_unconfirmed");
    let (_, alarms) = app.get("/api/v1/alarms", Some(&app.admin)).await;
    assert!(
        alarms
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "handover_unconfirmed" && a["compartment"] == pickup["compartment"]),
        "staff are told at once: {alarms}"
    );
    assert_eq!(app.sim_box().await["open_doors"], json!([]), "nothing reopened by itself");
    let (_, status, body) = app.authenticate("0151 23456751", &pin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a claimed document is not offered again: {body}");

    // A supervisor looks: the document is still there, so the claim is given back.
    app.stop().await;
    let app = TestApp::spawn(dir.path()).await;
    assert_eq!(app.pickup(&id).await["attention"], "handover_unconfirmed", "the first reason is kept");
    let pickup_id = abholbox_core::ids::PickupId::parse(&id).unwrap();
    let supervisor = app.supervisor().await;
    app.service.release_claim(&supervisor, &pickup_id, "card still in compartment after power cut").await.unwrap();
    assert!(app.pickup(&id).await["attention"].is_null());
    let (session, status, _) = app.authenticate("0151 23456751", &pin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1990-10-10" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.close(body["compartments"][0]["compartment"].as_u64().unwrap()).await;
    app.wait_status(&id, "collected").await;
    app.stop().await;
}

/// A loading cut off by a restart (its door may have closed while nobody listened) is not stuck: the
/// clerk loads the document again, its compartment opens again, and the door's close completes it.
#[tokio::test]
async fn a_loading_cut_off_by_a_restart_is_loaded_again_into_its_compartment() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("RS-4", "0151 23456753", "1990-10-10", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let compartment = body["compartment"].as_u64().unwrap();
    app.stop().await;

    let app = TestApp::spawn(dir.path()).await;
    let pickup = app.pickup(&id).await;
    assert_eq!((&pickup["status"], &pickup["attention"]), (&json!("depositing"), &json!("deposit_unconfirmed")));
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::CREATED, Some(compartment)), "{body}");
    assert_eq!(app.sim_box().await["open_doors"], json!([compartment]));
    assert!(app.pickup(&id).await["attention"].is_null(), "a loading under way again");
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!(status, StatusCode::CONFLICT, "scanned twice, it is not started twice: {body}");
    let cancel = format!("/api/v1/pickups/{id}/cancel");
    let (status, body) = app.post(&cancel, Some(&app.integration), json!({ "reason": "x" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "nor called off while its door stands open: {body}");
    app.close(compartment).await;
    app.wait_status(&id, "ready").await;
    assert!(app.pickup(&id).await["attention"].is_null(), "resolved");
    app.pin_for("+4915123456753").await;

    // One cut off and then called off waits to be withdrawn from the compartment it holds.
    let called_off = app.register("RS-6", "0151 23456755", "1990-10-10", None).await;
    let (_, body) = app.deposit_raw(&called_off).await;
    let held = body["compartment"].as_u64().unwrap();
    app.stop().await;
    let app = TestApp::spawn(dir.path()).await;
    let path = format!("/api/v1/pickups/{called_off}/cancel");
    let (status, body) = app.post(&path, Some(&app.integration), json!({ "reason": "collected at the counter" })).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::OK, Some(held)), "{body}");
    assert!(body["attention"].is_null(), "nothing left to load again: {body}");
    let withdraw = format!("/api/v1/boxes/{}/withdrawals", crate::helpers::BOX);
    let (status, body) = app.post(&withdraw, Some(&app.integration), json!({ "pickup": called_off })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.close(held).await;
    app.wait_status(&called_off, "withdrawn").await;
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["free"], 599, "its compartment is free again; the first pickup's holds its document");

    // A loading under way (not cut off) is not started twice.
    let other = app.register("RS-5", "0151 23456754", "1990-10-10", None).await;
    let (status, _) = app.deposit_raw(&other).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.deposit_raw(&other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    app.stop().await;
}
