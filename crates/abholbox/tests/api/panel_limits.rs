//! Whoever tries on at one panel, session after session, is slowed down and reported to staff.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

/// A wrong PIN in a fresh session at the first panel; the answer's status and code.
async fn wrong_pin(app: &TestApp) -> (StatusCode, String) {
    let session = app.session().await;
    let (status, body) = app.step(&session, "phone", json!({ "phone": "0151 23456799" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "pin", json!({ "pin": "000000" })).await;
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_panel_waits_longer_after_each_refusal_and_staff_are_alarmed() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.kiosk.panel_free_refusals = 3;
        c.kiosk.panel_alarm_after = 6;
    })
    .await;
    let wrong = (StatusCode::UNPROCESSABLE_ENTITY, "phone_or_pin_wrong".to_owned());
    let waiting = (StatusCode::TOO_MANY_REQUESTS, "panel_cooling_down".to_owned());
    for n in 0..3 {
        assert_eq!(wrong_pin(&app).await, wrong, "refusal {n} is free");
    }
    assert_eq!(wrong_pin(&app).await, waiting, "after 3 refusals the panel waits 1 s");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(wrong_pin(&app).await, wrong);
    assert_eq!(wrong_pin(&app).await, waiting, "then 2 s");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(wrong_pin(&app).await, waiting, "1 s is not enough now");
    let session = app.session().await;
    app.step(&session, "phone", json!({ "phone": "0151 23456799" })).await;
    let (_, body) = app.step(&session, "pin", json!({ "pin": "000000" })).await;
    assert_eq!(body["error"]["message"], "too many wrong entries at this panel; try again in 1 s", "rounded up");
    let (_, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    assert_eq!(alarms, json!([]), "no alarm yet");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(wrong_pin(&app).await, wrong);

    // Another panel of the box is not slowed down by this one.
    let session = app.session_at(&app.kiosk2).await;
    app.step_at(&app.kiosk2, &session, "phone", json!({ "phone": "0151 23456799" })).await;
    let (status, body) = app.step_at(&app.kiosk2, &session, "pin", json!({ "pin": "000000" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong"))
    );

    app.clock.advance(Duration::seconds(10));
    assert_eq!(wrong_pin(&app).await, wrong, "the sixth refusal at this panel");
    let (status, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(alarms.as_array().map(Vec::len), Some(1), "{alarms}");
    assert_eq!((alarms[0]["kind"].as_str(), alarms[0]["panel"].as_str()), (Some("panel_refusals"), Some("a")));
    assert_eq!(alarms[0]["detail"]["refusals"], 6);
    let (status, _) = app.get("/api/v1/admin/alarms", Some(&app.kiosk)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a panel does not read alarms");

    let id = alarms[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/alarms/{id}/acknowledge");
    let (status, _) = app.post(&path, Some(&app.admin), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.post(&path, Some(&app.admin), json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (_, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    assert_eq!(alarms, json!([]));

    app.clock.advance(Duration::minutes(16));
    for _ in 0..3 {
        assert_eq!(wrong_pin(&app).await, wrong, "refusals older than 15 minutes no longer count");
    }
    app.stop().await;
}

#[tokio::test]
async fn refusals_across_the_panels_of_a_site_raise_an_alarm_for_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.kiosk.site_alarm_after = 4).await;
    for panel in [&app.kiosk, &app.kiosk2, &app.kiosk, &app.kiosk2] {
        let session = app.session_at(panel).await;
        app.step_at(panel, &session, "phone", json!({ "phone": "0151 23456798" })).await;
        let (status, _) = app.step_at(panel, &session, "pin", json!({ "pin": "000000" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (_, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    let kinds: Vec<_> = alarms.as_array().unwrap().iter().map(|a| (a["kind"].clone(), a["panel"].clone())).collect();
    assert_eq!(kinds, vec![(json!("site_refusals"), json!(null))], "one alarm for the site, none per panel: {alarms}");
    assert_eq!(alarms[0]["site"], "dus-dlz");
    app.stop().await;
}
