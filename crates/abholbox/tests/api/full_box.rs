//! A full box says so, and nothing is half-done.

use abholbox_core::layout::ModuleLayout;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_full_box_refuses_the_next_document_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.boxes[0].modules = vec![ModuleLayout {
            name: "A".into(),
            rows: 1,
            columns: 2,
            reach_rows: vec![],
            medium_rows: vec![],
            large_rows: vec![],
        }];
    })
    .await;
    let a = app.register("FB-1", "0151 23456740", "1970-01-01", None).await;
    let b = app.register("FB-2", "0151 23456741", "1970-01-01", None).await;
    let c = app.register("FB-3", "0151 23456742", "1970-01-01", None).await;
    let d = app.register_raw("FB-4", "0151 23456743", "1970-01-01", None, true).await.1;
    let d = d["id"].as_str().unwrap().to_owned();
    let (status, body) = app.deposit_raw(&d).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("no_compartment_within_reach")));
    app.deposit(&a).await;
    app.deposit(&b).await;
    let (status, body) = app.deposit_raw(&c).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("box_full")), "{body}");
    assert_eq!(app.status(&c).await, "awaiting_deposit", "the refused pickup is untouched");
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!((boxes[0]["compartments"].as_u64(), boxes[0]["free"].as_u64()), (Some(2), Some(0)));
    app.stop().await;
}
