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
    app.stop().await;
}
