//! The SMS a citizen gets: the document that is due, in one segment, and its delivery state on the
//! pickup's view without recipient or text.

use abholbox_sms::encoding::{Encoding, cost};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{SITE, TestApp};

#[tokio::test]
async fn the_ready_sms_asks_for_the_old_passport_when_a_passport_is_due_and_costs_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let body = json!({
        "reference": "S-1", "site": SITE, "document_kind": "passport", "document_number": null,
        "phone": "0151 23456790", "birth_date": "1970-01-01", "old_document_number": "C01X00T47", "language": "de",
    });
    let (status, created) = app.post("/api/v1/pickups", Some(&app.integration), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    app.deposit(created["id"].as_str().unwrap()).await;
    let texts = app.sms_to("+4915123456790", 1).await;
    assert!(texts[0].starts_with("Reisepass liegt in der Abholbox "), "{}", texts[0]);
    assert!(texts[0].ends_with(", alten Pass mitbringen."), "{}", texts[0]);
    let cost = cost(&texts[0]);
    assert_eq!((cost.encoding, cost.segments), (Encoding::Gsm7, 1), "{}", texts[0]);
    let id = created["id"].as_str().unwrap();
    let mut pickup = app.pickup(id).await;
    for _ in 0..100 {
        if pickup["messages"][0]["state"] == "accepted" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        pickup = app.pickup(id).await;
    }
    let message = &pickup["messages"][0];
    assert_eq!(
        (&message["purpose"], &message["state"], &message["segments"], &message["gateway"]),
        (&json!("ready"), &json!("accepted"), &json!(1), &json!("demo")),
        "{pickup}"
    );
    let pin = abholbox::bench::pin_in(&texts[0]).unwrap();
    let shown = pickup.to_string();
    assert!(!shown.contains("23456790") && !shown.contains(&pin) && !shown.contains("Abholbox"), "{shown}");
    app.stop().await;
}

fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Europe::Berlin.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&chrono::Utc)
}

/// The pickup's messages once `done` holds for them, asking again for up to 20 s (a gateway's
/// report may take its time on a busy machine).
pub async fn messages_when(
    app: &TestApp,
    id: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let mut messages = Vec::new();
    for _ in 0..1000 {
        messages = app.pickup(id).await["messages"].as_array().cloned().unwrap_or_default();
        if done(&messages) {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the messages did not get there: {messages:?}");
}

#[tokio::test]
async fn quiet_hours_hold_the_sms_until_eight_site_time() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.sms.quiet_hours = "20:00-08:00".into()).await;
    app.clock.set(berlin(2026, 11, 26, 21, 30));
    let id = app.register("Q-1", "0151 23456791", "1970-01-01", None).await;
    app.deposit(&id).await;
    let messages = messages_when(&app, &id, |m| !m.is_empty()).await;
    assert_eq!((&messages[0]["purpose"], &messages[0]["state"]), (&json!("ready"), &json!("queued")));
    assert_eq!(messages[0]["state_at"], json!(berlin(2026, 11, 27, 8, 0)), "due at eight the next morning");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, inbox) = app.get("/api/v1/sim/sms?to=%2B4915123456791", None).await;
    assert_eq!(inbox, json!([]), "nothing at night");
    app.clock.set(berlin(2026, 11, 27, 7, 59));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.get("/api/v1/sim/sms?to=%2B4915123456791", None).await.1, json!([]));
    app.clock.set(berlin(2026, 11, 27, 8, 0));
    assert_eq!(app.sms_to("+4915123456791", 1).await.len(), 1, "sent at eight");
    app.stop().await;
}

#[tokio::test]
async fn a_site_without_quiet_hours_texts_at_night() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.sms.quiet_hours = "20:00-08:00".into();
        c.sites[0].sms_quiet_hours = Some(String::new());
    })
    .await;
    app.clock.set(berlin(2026, 11, 26, 23, 0));
    let id = app.register("Q-2", "0151 23456792", "1970-01-01", None).await;
    app.deposit(&id).await;
    assert_eq!(app.sms_to("+4915123456792", 1).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_reminder_goes_out_on_its_local_day_across_the_clock_change_and_not_after_collection() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.pickup.window_days = 10).await;
    // Ready on 17 October: the deadline is 27 October, and two days before it is 25 October, the
    // day the clocks go back. The reminder goes out at 10:00 CET, which is 09:00 UTC.
    app.clock.set(berlin(2026, 10, 17, 9, 0));
    let waiting = app.register("R-1", "0151 23456793", "1970-01-01", None).await;
    app.deposit(&waiting).await;
    let collected = app.register("R-2", "0151 23456794", "1971-01-01", None).await;
    let compartment = app.deposit(&collected).await;
    let reminder_due = json!(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 10, 25, 9, 0, 0).unwrap());
    for id in [&waiting, &collected] {
        let messages = messages_when(&app, id, |m| m.len() == 2 && m[0]["state"] == "accepted").await;
        assert_eq!((&messages[1]["purpose"], &messages[1]["state"]), (&json!("reminder"), &json!("queued")));
        assert_eq!(messages[1]["state_at"], reminder_due);
    }
    let pin = app.pin_for("+4915123456794").await;
    let (session, _, _) = app.authenticate("015123456794", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1971-01-01" })).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("collect")), "{body}");
    app.close(compartment).await;
    app.wait_status(&collected, "collected").await;
    let messages = messages_when(&app, &collected, |m| m.len() == 2).await;
    assert_eq!(messages[1]["state"], "dropped", "no reminder for a document already collected");

    app.clock.set(berlin(2026, 10, 25, 9, 59));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.sms_to("+4915123456793", 1).await.len(), 1, "only the ready SMS before 10:00 local");
    app.clock.set(berlin(2026, 10, 25, 10, 0));
    let texts = app.sms_to("+4915123456793", 2).await;
    assert!(texts[1].starts_with("Erinnerung: Personalausweis liegt noch in der Abholbox"), "{}", texts[1]);
    assert!(texts[1].contains("Abholen bis 27.10.2026"), "{}", texts[1]);
    assert_eq!(cost(&texts[1]).segments, 1);
    assert_eq!(app.sms_to("+4915123456794", 1).await.len(), 1, "the collected one got no reminder");
    app.stop().await;
}

/// A reminder that could not go out on its day (the server was down for longer than the give-up
/// time) is dropped: it tells nothing about the number, and the PIN went out long before.
#[tokio::test]
async fn a_reminder_too_late_to_send_is_dropped_without_flagging_the_pickup() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.pickup.window_days = 10).await;
    app.clock.set(berlin(2026, 10, 17, 9, 0));
    let id = app.register("R-3", "0151 23456796", "1970-01-01", None).await;
    app.deposit(&id).await;
    messages_when(&app, &id, |m| m.len() == 2 && m[0]["state"] == "accepted").await;
    app.clock.set(berlin(2026, 10, 26, 11, 0));
    let messages = messages_when(&app, &id, |m| m[1]["state"] != "queued").await;
    assert_eq!((&messages[1]["purpose"], &messages[1]["state"]), (&json!("reminder"), &json!("dropped")));
    let pickup = app.pickup(&id).await;
    assert_eq!((&pickup["status"], &pickup["attention"]), (&json!("ready"), &json!(null)), "{pickup}");
    assert_eq!(app.sms_to("+4915123456796", 1).await.len(), 1, "no reminder a day late");
    app.stop().await;
}

#[tokio::test]
async fn an_sms_no_gateway_accepts_is_given_up_after_24_hours_and_the_pickup_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let password = dir.path().join("password");
    std::fs::write(&password, "secret").unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.sms.gateway = "smpp".into();
        c.sms.smpp = Some(abholbox::sms_config::SmppConfig {
            host: "127.0.0.1".into(),
            port: closed_port,
            system_id: "abholbox".into(),
            password_file: Some(password.clone()),
            ..Default::default()
        });
    })
    .await;
    let id = app.register("G-1", "0151 23456795", "1970-01-01", None).await;
    app.deposit(&id).await;
    let messages = messages_when(&app, &id, |m| m.first().is_some_and(|m| m["error"].is_string())).await;
    assert_eq!(messages[0]["state"], "queued", "tried, not given up: {messages:?}");
    // The first failure waits 5 s (plus up to a fifth), not twice that.
    app.clock.advance(chrono::Duration::seconds(6));
    messages_when(&app, &id, |m| m.first().is_some_and(|m| m["attempts"].as_u64() >= Some(2))).await;
    assert_eq!(app.pickup(&id).await["attention"], json!(null));
    app.clock.advance(chrono::Duration::hours(25));
    let messages = messages_when(&app, &id, |m| m.first().is_some_and(|m| m["state"] == "failed")).await;
    assert!(messages[0]["error"].as_str().unwrap().contains("within 24 h"), "{messages:?}");
    let pickup = app.pickup(&id).await;
    assert_eq!((&pickup["attention"], &pickup["status"]), (&json!("sms_not_deliverable"), &json!("ready")));
    app.assert_recorded(&id, "sms_not_deliverable").await;
    app.stop().await;
}

#[tokio::test]
async fn a_report_of_an_undelivered_sms_flags_the_pickup_and_a_forged_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("U-1", "0151 23456798", "1970-01-01", None).await;
    app.deposit(&id).await;
    let messages = messages_when(&app, &id, |m| m.first().is_some_and(|m| m["state"] == "accepted")).await;
    let message = messages[0]["id"].as_str().unwrap();
    let report =
        |token: &str, kind: u32| format!("/api/v1/sms/reports/kannel?message={message}&token={token}&type={kind}");
    let token = app.service.sms_report_token(message);
    let (status, _) = app.get(&report(&token.replace(|c: char| c != '0', "0"), 2), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&format!("/api/v1/sms/reports/kannel?message=other&token={token}&type=2"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a token is good for its own message only");
    assert_eq!(app.pickup(&id).await["attention"], json!(null));
    for (query, named) in [
        (format!("message={message}&token={token}"), "type"),
        (format!("message={message}&token={token}&type=%25d"), "type"),
        (format!("message={message}&type=2"), "token"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/sms/reports/kannel?{query}"), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
            "{query}"
        );
        assert!(body["error"]["message"].as_str().unwrap().starts_with(named), "{body}");
    }
    let (status, _) = app.get(&report(&token, 8), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "accepted by the SMSC: no outcome yet");
    assert_eq!(app.pickup(&id).await["messages"][0]["state"], "accepted");
    let (status, _) = app.get(&report(&token, 2), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let pickup = app.pickup(&id).await;
    assert_eq!(
        (&pickup["messages"][0]["state"], &pickup["attention"]),
        (&json!("failed"), &json!("sms_not_deliverable"))
    );
    assert_eq!(pickup["messages"][0]["error"], "reported UNDELIV");
    app.stop().await;
}

#[tokio::test]
async fn the_secondary_gateway_takes_over_while_the_first_cannot_send() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let password = dir.path().join("password");
    std::fs::write(&password, "secret").unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.sms.gateway = "kannel".into();
        c.sms.secondary = "demo".into();
        c.sms.kannel = Some(abholbox::sms_config::KannelConfig {
            url: format!("http://127.0.0.1:{closed_port}/cgi-bin/sendsms"),
            username: "abholbox".into(),
            password_file: Some(password.clone()),
            ..Default::default()
        });
    })
    .await;
    let id = app.register("F-1", "0151 23456789", "1970-01-01", None).await;
    app.deposit(&id).await;
    assert_eq!(app.sms_to("+4915123456789", 1).await.len(), 1, "Kannel is down: the demo inbox has it");
    let messages = messages_when(&app, &id, |m| m.first().is_some_and(|m| m["state"] == "accepted")).await;
    assert_eq!((&messages[0]["gateway"], &messages[0]["attempts"]), (&json!("demo"), &json!(1)));
    app.stop().await;
}

/// The demo inbox names the filter that is wrong, as every other query does.
#[tokio::test]
async fn the_demo_inbox_names_a_wrong_filter() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    for (query, field) in [
        ("to=%2B4915123456791&wait=1&count=-1", "count"),
        ("to=%2B4915123456791&wait=1&count=0", "count"),
        ("to=%2B4915123456791&wait=1&count=many", "count"),
        ("to=%2B4915123456791&wait=soon", "wait"),
        ("to=nobody", "to"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/sim/sms?{query}"), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
            "{query}: {body}"
        );
        assert!(body["error"]["message"].as_str().unwrap_or("").starts_with(field), "{query}: {body}");
    }
    let (status, body) = app.get("/api/v1/sim/sms?to=%2B4915123456791&wait=0&count=2", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    app.stop().await;
}
