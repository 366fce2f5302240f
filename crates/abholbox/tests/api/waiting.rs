//! Long-polls: a caller asks once and hears of the next change.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_waiting_integrator_hears_the_next_status() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("W-1", "0151 23456711", "1970-01-01", None).await;
    let path = format!("/api/v1/pickups/{id}?wait=10&status=awaiting_deposit");
    let waiting = {
        let (client, url, token) = (app.client.clone(), format!("{}{path}", app.base), app.integration.clone());
        tokio::spawn(async move {
            client.get(url).bearer_auth(token).send().await.unwrap().json::<serde_json::Value>().await
        })
    };
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let answer = waiting.await.unwrap().unwrap();
    assert_eq!(answer["id"], id.as_str());
    assert_ne!(answer["status"], "awaiting_deposit", "the answer is the next status: {answer}");

    let (status, now) = app.get(&format!("/api/v1/pickups/{id}?wait=1"), Some(&app.integration)).await;
    assert_eq!(status, StatusCode::OK, "nothing changes: the current state after the wait");
    assert_eq!(now["status"], answer["status"]);
    let (status, body) = app.get(&format!("/api/v1/pickups/{id}?wait=1&status=lost"), Some(&app.integration)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    for bad in ["ten", "-1", "1e3", "18446744073709551616"] {
        let (status, body) = app.get(&format!("/api/v1/pickups/{id}?wait={bad}"), Some(&app.integration)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request"))
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("wait"), "names the parameter: {body}");
    }
    let (status, body) = app.get(&format!("/api/v1/pickups/{id}?wait=1&wait=2"), Some(&app.integration)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
        "a parameter given twice is named, not a bare 400: {body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("wait"), "names the parameter: {body}");
    app.stop().await;
}

#[tokio::test]
async fn a_waiting_panel_hears_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let session = app.session().await;
    let waiting = {
        let url = format!("{}/api/v1/kiosk/sessions/{session}?wait=10&step=phone", app.base);
        let (client, token) = (app.client.clone(), app.kiosk.clone());
        tokio::spawn(async move {
            client.get(url).bearer_auth(token).send().await.unwrap().json::<serde_json::Value>().await
        })
    };
    let (status, body) = app.step(&session, "phone", json!({ "phone": "0151 23456712" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = waiting.await.unwrap().unwrap();
    assert_eq!(answer["step"], "pin", "{answer}");

    let (status, body) = app.get(&format!("/api/v1/kiosk/sessions/{session}?wait=1&step=nap"), Some(&app.kiosk)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    let (status, _) = app.get(&format!("/api/v1/kiosk/sessions/{session}?wait=1"), Some(&app.kiosk2)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another panel cannot wait on this panel's session");
    app.stop().await;
}

#[tokio::test]
async fn the_demo_phone_shows_one_number_s_messages() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    for (reference, phone) in [("W-2", "0151 23456713"), ("W-3", "0151 23456714")] {
        let id = app.register(reference, phone, "1970-01-01", None).await;
        app.deposit(&id).await;
    }
    app.sms_to("+4915123456714", 1).await;
    let (status, mine) = app.get("/api/v1/sim/sms?to=0151%2023456713", None).await;
    assert_eq!(status, StatusCode::OK);
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["to"], "+4915123456713");
    assert_eq!(app.sms().await.len(), 2, "without a filter, everyone's");

    let waiting = {
        let url = format!("{}/api/v1/sim/sms?to=%2B4915123456715&wait=10", app.base);
        let client = app.client.clone();
        tokio::spawn(async move { client.get(url).send().await.unwrap().json::<serde_json::Value>().await })
    };
    let id = app.register("W-4", "0151 23456715", "1970-01-01", None).await;
    app.deposit(&id).await;
    let arrived = waiting.await.unwrap().unwrap();
    assert_eq!(arrived.as_array().map(Vec::len), Some(1), "the phone hears of its SMS: {arrived}");
    assert!(abholbox::bench::pin_in(arrived[0]["text"].as_str().unwrap()).is_some());
    let (status, body) = app.get("/api/v1/sim/sms?wait=1", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    let (status, body) = app.get("/api/v1/sim/sms?to=hello", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    assert!(body["error"]["message"].as_str().unwrap().starts_with("to"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_stop_answers_the_waiting_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("W-9", "0151 23456719", "1970-01-01", None).await;
    let waiting = {
        let url = format!("{}/api/v1/pickups/{id}?wait=10", app.base);
        let (client, token) = (app.client.clone(), app.integration.clone());
        tokio::spawn(async move {
            let asked = std::time::Instant::now();
            let answer = client.get(url).bearer_auth(token).send().await.unwrap();
            (answer.status(), answer.json::<serde_json::Value>().await.unwrap(), asked.elapsed())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.stop().await;
    let (status, body, waited) = waiting.await.unwrap();
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("awaiting_deposit")), "{body}");
    assert!(waited < std::time::Duration::from_secs(8), "answered at the stop, not after its wait: {waited:?}");
}
