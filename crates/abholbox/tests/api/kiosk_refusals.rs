//! What the kiosk refuses: wrong PINs, wrong documents, unknown numbers, and nothing opens.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, german_id};

fn wrong(pin: &str) -> String {
    if pin == "000000" { "111111".into() } else { "000000".into() }
}

#[tokio::test]
async fn five_wrong_pins_lock_the_pickup_until_a_supervisor_lifts_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("L-1", "0151 23456711", "1966-06-06", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456711").await;
    for attempt in 1..=4 {
        let (session, status, body) = app.authenticate("015123456711", &wrong(&pin)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
            "attempt {attempt}"
        );
        let audit = app.session_audit(&session).await;
        assert_eq!(audit.len(), 1, "one refused factor, one audit entry: {audit:?}");
        assert_eq!(
            (audit[0]["action"].as_str(), audit[0]["detail"]["factor"].as_str()),
            (Some("factor_refused"), Some("pin"))
        );
        assert_eq!(audit[0]["detail"]["panel"], "a");
        assert!(!audit[0].to_string().contains(&wrong(&pin)), "never the value");
    }
    let (_, status, body) = app.authenticate("015123456711", &wrong(&pin)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
        "the fifth wrong PIN locks, and says no more than any wrong PIN"
    );
    let pickup = app.pickup(&id).await;
    assert_eq!((pickup["locked"].as_bool(), pickup["status"].as_str()), (Some(true), Some("ready")));
    assert_eq!(pickup["attention"], "locked_after_wrong_pins");
    let (_, status, body) = app.authenticate("015123456711", &wrong(&pin)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong"))
    );

    let (session, status, right) = app.authenticate("015123456711", &pin).await;
    let after_right = app.state(&session).await;
    let (session, _, wrong_answer) = app.authenticate("015123456711", &wrong(&pin)).await;
    let after_wrong = app.state(&session).await;
    assert_eq!(
        (status, right.to_string()),
        (StatusCode::UNPROCESSABLE_ENTITY, wrong_answer.to_string()),
        "a locked pickup answers its right PIN like a wrong one, byte for byte"
    );
    let shown = |s: &serde_json::Value| (s["step"].clone(), s["error"].clone(), s["reason"].clone());
    assert_eq!(shown(&after_right), shown(&after_wrong), "and its session goes on the same way");
    assert_eq!(shown(&after_right), (json!("pin"), json!("phone_or_pin_wrong"), json!(null)));
    assert_eq!(app.sim_box().await["open_doors"], json!([]));
    app.assert_recorded(&id, "locked").await;

    let supervisor = app.supervisor().await;
    let pickup_id = abholbox_core::ids::PickupId::parse(&id).unwrap();
    assert!(app.service.unlock(&supervisor, &pickup_id, "").await.is_err(), "a reason is required");
    app.service.unlock(&supervisor, &pickup_id, "citizen seen with ID at the counter").await.unwrap();
    app.assert_recorded(&id, "unlocked").await;
    let texts = app.sms_to("+4915123456711", 2).await;
    assert!(
        texts[1].starts_with("Neue PIN ")
            && texts[1].contains(" für Personalausweis in der Abholbox Dienstleistungszentrum"),
        "{}",
        texts[1]
    );
    let new_pin = app.pin_for("+4915123456711").await;
    let (_, status, body) = app.authenticate("015123456711", &pin).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
        "the old PIN never works again"
    );
    let (_, status, body) = app.authenticate("015123456711", &new_pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn one_session_allows_three_pin_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("L-2", "0151 23456712", "1966-06-06", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456712").await;
    let (session, _, _) = app.authenticate("015123456712", &wrong(&pin)).await;
    app.step(&session, "pin", json!({ "pin": wrong(&pin) })).await;
    app.step(&session, "pin", json!({ "pin": wrong(&pin) })).await;
    let state = app.state(&session).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("too_many_attempts")));
    let (status, _) = app.step(&session, "pin", json!({ "pin": pin })).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(app.pickup(&id).await["locked"], false, "three wrong PINs do not lock yet");
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_number_answers_like_a_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("U-1", "0151 23456713", "1970-01-01", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456713").await;
    let guess = if pin == "482913" { "482914" } else { "482913" };
    let known = app.session_at(&app.kiosk).await;
    let unknown = app.session_at(&app.kiosk2).await;
    let (s1, b1) = app.step(&known, "phone", json!({ "phone": "0151 23456713" })).await;
    let (s2, b2) = app.step_at(&app.kiosk2, &unknown, "phone", json!({ "phone": "0151 99999999" })).await;
    assert_eq!((s1, &b1["step"], &b1["error"]), (s2, &b2["step"], &b2["error"]));
    let (s1, b1) = app.step(&known, "pin", json!({ "pin": guess })).await;
    let (s2, b2) = app.step_at(&app.kiosk2, &unknown, "pin", json!({ "pin": guess })).await;
    assert_eq!((s1, &b1), (s2, &b2), "wrong PIN and unknown number are one outcome, byte for byte");
    assert_eq!(b1["error"]["code"], "phone_or_pin_wrong");
    assert_eq!(app.state(&known).await["step"], app.state_at(&app.kiosk2, &unknown).await["step"]);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_or_unreadable_old_document_opens_nothing_and_is_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("D-1", "0151 23456714", "1960-01-01", Some("L01X00T47")).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456714").await;
    let (session, status, _) = app.authenticate("015123456714", &pin).await;
    assert_eq!(status, StatusCode::OK);

    app.insert(&german_id("CFGHJKLM1", "600101", "300101", "X", "Y")).await;
    wait_returned(&app, 1).await;
    let state = app.state(&session).await;
    assert_eq!(
        (state["step"].as_str(), state["error"].as_str()),
        (Some("old_document"), Some("old_document_rejected"))
    );

    let valid = german_id("L01X00T47", "600101", "300101", "X", "Y");
    let broken = valid.replacen("L01X00T47", "L01X00T46", 1);
    app.insert(&broken).await;
    wait_returned(&app, 2).await;
    let state = app.state(&session).await;
    assert_eq!(
        (state["step"].as_str(), state["error"].as_str()),
        (Some("old_document"), Some("old_document_unreadable"))
    );
    assert_eq!(app.status(&id).await, "ready");
    assert_eq!(app.sim_box().await["open_doors"], json!([]), "nothing opened");
    assert_eq!(app.sim_box().await["documents_in_bin"], 0, "nothing kept");

    app.insert(&valid).await;
    let state = app.wait_step(&session, "collect").await;
    assert_eq!(state["compartments"][0]["compartment"], compartment);
    app.stop().await;
}

async fn wait_returned(app: &TestApp, n: u64) {
    for _ in 0..100 {
        if app.sim_box().await["documents_returned"] == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("document {n} was not given back");
}

#[tokio::test]
async fn a_wrong_birth_date_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("D-2", "0151 23456715", "1960-01-01", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456715").await;
    let (session, _, _) = app.authenticate("015123456715", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-02" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("birth_date_wrong")));
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "01.01.1960" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_birth_date"))
    );
    assert_eq!(app.sim_box().await["open_doors"], json!([]));
    assert_eq!(app.state(&session).await["step"], "birth_date");
    app.stop().await;
}

#[tokio::test]
async fn steps_cannot_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let session = app.session().await;
    let (status, body) = app.step(&session, "pin", json!({ "pin": "482913" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_step")));
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1960-01-01" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_step")));
    app.stop().await;
}

#[tokio::test]
async fn a_new_session_on_a_panel_ends_the_one_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let left = app.session().await;
    app.step(&left, "phone", json!({ "phone": "0151 23456716" })).await;
    let other_panel = app.session_at(&app.kiosk2).await;
    let next = app.session().await;
    let state = app.state(&left).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("cancelled")));
    assert_eq!(app.state(&next).await["step"], "phone");
    assert_eq!(app.state_at(&app.kiosk2, &other_panel).await["step"], "phone", "another panel's session is its own");
    app.stop().await;
}
