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
