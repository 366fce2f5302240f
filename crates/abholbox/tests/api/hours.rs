//! Opening hours: outside them the kiosk starts no session, and the SMS says when the box is open.

use chrono::TimeZone;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::Europe::Berlin.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn outside_the_hours_no_session_starts_and_the_sms_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.sites[0].open_24_7 = false).await;
    // Thursday 2026-11-26, the long day.
    app.clock.set(berlin(2026, 11, 26, 17, 0));
    let id = app.register("H-1", "0151 23456799", "1960-01-01", None).await;
    app.deposit(&id).await;
    let texts = app.sms_to("+4915123456799", 1).await;
    assert!(!texts[0].contains("Öffnungszeiten"), "hours that would cost a second segment stay out: {}", texts[0]);
    assert_eq!(abholbox_sms::encoding::cost(&texts[0]).segments, 1);
    app.clock.set(berlin(2026, 11, 26, 17, 59));
    let (status, _) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "open one minute before six");
    app.clock.set(berlin(2026, 11, 26, 18, 1));
    let (status, body) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("box_closed")));
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-11-27T07:30:00+01:00"), "{body}");
    // Corpus Christi is a holiday in North Rhine-Westphalia.
    app.clock.set(berlin(2027, 5, 27, 10, 0));
    let (status, _) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test]
async fn a_box_in_a_room_of_its_own_is_open_at_night_and_its_sms_names_no_hours() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    app.clock.set(berlin(2026, 12, 25, 3, 0));
    let id = app.register("H-2", "0151 23456798", "1960-01-01", None).await;
    app.deposit(&id).await;
    assert!(!app.sms_to("+4915123456798", 1).await[0].contains("Öffnungszeiten"));
    let (status, _) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "Christmas night, 03:00");
    app.stop().await;
}

/// Short hours fit beside the rest of the text, and the SMS names them.
#[tokio::test]
async fn hours_that_fit_one_segment_are_named_in_the_sms() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.sites[0].open_24_7 = false;
        c.sites[0].opening_hours = Some("Mo-Fr 08:00-12:00".into());
    })
    .await;
    app.clock.set(berlin(2026, 11, 26, 9, 0));
    let id = app.register("H-2", "0151 23456798", "1960-01-01", None).await;
    app.deposit(&id).await;
    let texts = app.sms_to("+4915123456798", 1).await;
    assert!(texts[0].ends_with(". Öffnungszeiten: Mo-Fr 08:00-12:00."), "{}", texts[0]);
    assert_eq!(abholbox_sms::encoding::cost(&texts[0]).segments, 1);
    app.stop().await;
}
