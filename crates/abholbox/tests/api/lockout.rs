//! Limits per pickup on every factor: sessions are free, so wrong third factors count across them,
//! and a locked pickup tells nobody anything.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, german_id};

#[tokio::test]
async fn twenty_sessions_of_wrong_birth_dates_lock_the_pickup_after_five() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("LB-1", "0151 23456781", "1961-04-04", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456781").await;
    // Someone holding the PIN keeps a second panel waiting at the birth date step.
    let (waiting, status, _) = app.authenticate_at(&app.kiosk2, "0151 23456781", &pin).await;
    assert_eq!(status, StatusCode::OK);

    let mut answers = Vec::new();
    for day in 1..=20 {
        let (session, status, body) = app.authenticate("0151 23456781", &pin).await;
        if status != StatusCode::OK {
            answers.push((status, body["error"]["code"].as_str().unwrap_or_default().to_owned()));
            continue;
        }
        let (status, body) =
            app.step(&session, "birth-date", json!({ "birth_date": format!("1962-01-{day:02}") })).await;
        answers.push((status, body["error"]["code"].as_str().unwrap_or_default().to_owned()));
        let audit = app.session_audit(&session).await;
        let refused = audit.iter().find(|a| a["action"] == "factor_refused").expect("the refusal is audited");
        assert_eq!(
            (refused["detail"]["factor"].as_str(), refused["detail"]["panel"].as_str()),
            (Some("birth_date"), Some("a"))
        );
        assert_eq!(refused["detail"]["session"], session.as_str());
        assert!(!refused.to_string().contains("1962-01"), "never the value: {refused}");
    }
    let wrong = (StatusCode::UNPROCESSABLE_ENTITY, "birth_date_wrong".to_owned());
    let locked = (StatusCode::LOCKED, "locked".to_owned());
    let silent = (StatusCode::UNPROCESSABLE_ENTITY, "phone_or_pin_wrong".to_owned());
    let mut expected = vec![wrong.clone(), wrong.clone(), wrong.clone(), wrong, locked];
    expected.extend(std::iter::repeat_n(silent, 15));
    assert_eq!(answers, expected, "the fifth wrong birth date locks; from then on the right PIN opens no session");

    let pickup = app.pickup(&id).await;
    assert_eq!((pickup["locked"].as_bool(), pickup["status"].as_str()), (Some(true), Some("ready")));
    assert_eq!(pickup["attention"], "locked_after_wrong_third_factors");
    app.assert_recorded(&id, "locked").await;

    let (status, body) = app.step_at(&app.kiosk2, &waiting, "birth-date", json!({ "birth_date": "1961-04-04" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::LOCKED, Some("locked")),
        "the right one opens nothing"
    );
    let state = app.state_at(&app.kiosk2, &waiting).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("locked")));
    assert_eq!(app.sim_box().await["open_doors"], json!([]));
    assert_eq!(app.status(&id).await, "ready");
    app.stop().await;
}

#[tokio::test]
async fn twenty_sessions_of_wrong_old_documents_lock_the_pickup_after_five() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("LD-1", "0151 23456782", "1961-04-04", Some("L01X00T47")).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456782").await;
    let (waiting, status, _) = app.authenticate_at(&app.kiosk2, "0151 23456782", &pin).await;
    assert_eq!(status, StatusCode::OK);

    let mut rejected = 0;
    let mut refused_sessions = 0;
    for n in 0..20u32 {
        let (session, status, body) = app.authenticate("0151 23456782", &pin).await;
        if status != StatusCode::OK {
            assert_eq!(body["error"]["code"], "phone_or_pin_wrong");
            refused_sessions += 1;
            continue;
        }
        let returned = app.sim_box().await["documents_returned"].as_u64().unwrap();
        let stranger = german_id(&format!("X{n:02}Y00T47"), "610404", "300101", "X", "Y");
        app.insert(&stranger).await;
        wait_returned(&app, returned + 1).await;
        let state = app.state(&session).await;
        rejected += 1;
        let expected = if rejected < 5 { ("old_document", "old_document_rejected") } else { ("ended", "locked") };
        assert_eq!(
            (state["step"].as_str().unwrap(), state["error"].as_str().unwrap()),
            expected,
            "document {rejected}"
        );
        let audit = app.session_audit(&session).await;
        assert!(audit.iter().any(|a| a["detail"]["factor"] == "old_document"), "{audit:?}");
        assert!(!format!("{audit:?}").contains(&format!("X{n:02}Y00T47")), "never the number");
    }
    assert_eq!((rejected, refused_sessions), (5, 15));
    assert_eq!(app.pickup(&id).await["attention"], "locked_after_wrong_third_factors");

    let before = app.sim_box().await;
    app.insert_at(&app.kiosk2_id, &german_id("L01X00T47", "610404", "300101", "X", "Y")).await;
    wait_returned(&app, before["documents_returned"].as_u64().unwrap() + 1).await;
    let state = app.state_at(&app.kiosk2, &waiting).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("locked")));
    let after = app.sim_box().await;
    assert_eq!((after["open_doors"].clone(), after["documents_in_bin"].clone()), (json!([]), json!(0)));
    app.stop().await;
}

#[tokio::test]
async fn an_unreadable_card_counts_against_the_session_not_the_pickup() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.kiosk.third_factor_lockout_after = 2).await;
    let id = app.register("LU-1", "0151 23456783", "1961-04-04", Some("L01X00T47")).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456783").await;
    let broken = german_id("L01X00T47", "610404", "300101", "X", "Y").replacen("L01X00T47", "L01X00T46", 1);
    for session_no in 0..2u64 {
        let (session, status, _) = app.authenticate("0151 23456783", &pin).await;
        assert_eq!(status, StatusCode::OK, "session {session_no}: not locked by unreadable cards");
        for n in 0..3 {
            let returned = app.sim_box().await["documents_returned"].as_u64().unwrap();
            app.insert(&broken).await;
            wait_returned(&app, returned + 1).await;
            assert_eq!(app.state(&session).await["error"], "old_document_unreadable", "{n}");
        }
        assert_eq!(app.state(&session).await["reason"], "too_many_attempts");
    }
    assert_eq!(app.pickup(&id).await["locked"], false);
    app.stop().await;
}

pub async fn wait_returned(app: &TestApp, n: u64) {
    for _ in 0..200 {
        if app.sim_box().await["documents_returned"] == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("document {n} was not given back");
}
