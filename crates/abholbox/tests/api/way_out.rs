//! Every pickup has a way out: cancelled by the registry, expired by the clock, withdrawn by staff.

use abholbox_core::ids::PickupId;
use abholbox_service::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{BOX, TestApp};

async fn cancel(app: &TestApp, id: &str, reason: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/pickups/{id}/cancel"), Some(&app.integration), json!({ "reason": reason })).await
}

async fn withdraw(app: &TestApp, id: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/boxes/{BOX}/withdrawals"), Some(&app.integration), json!({ "pickup": id })).await
}

async fn personal_data_kept(app: &TestApp, id: &str) -> bool {
    let mut tx = app.service.store().begin().await.unwrap();
    tx.personal_data(&PickupId::parse(id).unwrap()).await.unwrap().is_some()
}

#[tokio::test]
async fn cancelling_stops_the_pin_at_once_and_the_document_is_withdrawn_without_an_sms() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("C-1", "0151 23456741", "1955-05-05", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456741").await;

    let (status, body) = cancel(&app, &id, "").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_reason")));
    let (status, body) = cancel(&app, &id, "collected at the counter").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{body}");
    assert_eq!(body["compartment"], compartment, "the document waits in the box for staff");
    app.assert_recorded(&id, "cancelled").await;
    assert!(!personal_data_kept(&app, &id).await, "nothing personal is needed any more");
    let (_, status, body) = app.authenticate("0151 23456741", &pin).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong"))
    );
    let (status, _) = cancel(&app, &id, "twice").await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = withdraw(&app, &id).await;
    assert_eq!((status, body["compartment"].as_u64()), (StatusCode::CREATED, Some(compartment)), "{body}");
    assert_eq!(app.sim_box().await["open_doors"], json!([compartment]));
    let (status, _) = withdraw(&app, &id).await;
    assert_eq!(status, StatusCode::CREATED, "asked again while the door is open (a retried request)");
    assert_eq!(app.pickup(&id).await["withdrawing"], true);
    let (events, audit) = app.history(&id).await;
    for kinds in [&events, &audit] {
        assert_eq!(kinds.iter().filter(|k| *k == "withdrawal_started").count(), 1, "one withdrawal: {kinds:?}");
    }
    app.close(compartment).await;
    app.wait_status(&id, "withdrawn").await;
    let pickup = app.pickup(&id).await;
    assert!(pickup["compartment"].is_null() && !pickup["withdrawing"].as_bool().unwrap());
    app.assert_recorded(&id, "withdrawal_started").await;
    app.assert_recorded(&id, "withdrawn").await;
    assert_eq!(app.sms_to("+4915123456741", 1).await.len(), 1, "no SMS for a called-off pickup");
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["free"], 600, "the compartment is free again");
    app.stop().await;
}

#[tokio::test]
async fn a_pickup_not_yet_in_the_box_is_cancelled_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("C-2", "0151 23456742", "1955-05-05", None).await;
    let (status, body) = cancel(&app, &id, "citizen moved away").await;
    assert_eq!(
        (status, body["status"].as_str(), body["compartment"].clone()),
        (StatusCode::OK, Some("cancelled"), Value::Null)
    );
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    let (status, body) = withdraw(&app, &id).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    let (status, _) = cancel(&app, "pu_00000000000000000000000000000000", "nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_pickup_past_its_deadline_expires_and_goes_back_to_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("X-1", "0151 23456743", "1955-05-05", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456743").await;
    let (status, body) = withdraw(&app, &id).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition")),
        "a ready document is for its citizen"
    );

    // The window ends with the local day ten days on: at local midnight.
    let deadline: chrono::DateTime<chrono::Utc> = app.pickup(&id).await["deadline"].as_str().unwrap().parse().unwrap();
    let local = deadline.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.time(), chrono::NaiveTime::MIN, "{local}");
    assert_eq!(
        local.date_naive() - app.clock.now().with_timezone(&chrono_tz::Europe::Berlin).date_naive(),
        chrono::Duration::days(11)
    );
    app.clock.set(deadline + chrono::Duration::seconds(1));
    let (_, status, body) = app.authenticate("0151 23456743", &pin).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
        "past the deadline the PIN opens nothing, before the job has run"
    );
    app.wait_status(&id, "expired").await;
    app.assert_recorded(&id, "expired").await;
    assert_eq!(app.pickup(&id).await["compartment"], compartment);

    let (status, _) = withdraw(&app, &id).await;
    assert_eq!(status, StatusCode::CREATED);
    app.close(compartment).await;
    app.wait_status(&id, "withdrawn").await;
    let texts = app.sms_to("+4915123456743", 2).await;
    assert!(
        texts[1].starts_with(
            "Ihr Personalausweis wurde nicht abgeholt und liegt jetzt am Schalter: Dienstleistungszentrum"
        ),
        "{}",
        texts[1]
    );
    assert!(!personal_data_kept(&app, &id).await);
    app.stop().await;
}

#[tokio::test]
async fn a_document_being_handed_over_cannot_be_cancelled_or_expired() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("X-2", "0151 23456744", "1955-05-05", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456744").await;
    let (session, _, _) = app.authenticate("0151 23456744", &pin).await;
    let (status, _) = app.step(&session, "birth-date", json!({ "birth_date": "1955-05-05" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = cancel(&app, &id, "too late").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    app.clock.advance(chrono::Duration::days(11));
    app.service.housekeeping().await.unwrap();
    assert_eq!(app.status(&id).await, "ready", "the citizen is at the open door");
    app.close(compartment).await;
    app.wait_status(&id, "collected").await;
    app.stop().await;
}
