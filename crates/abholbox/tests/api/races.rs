//! Exactly once: two sessions racing for one document never both get it.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn two_sessions_for_one_pickup_hand_it_out_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    for round in 0..10 {
        let phone = format!("0151 234568{round:02}");
        let e164 = format!("+49151234568{round:02}");
        let id = app.register(&format!("R-{round}"), &phone, "1977-07-07", None).await;
        let compartment = app.deposit(&id).await;
        let pin = app.pin_for(&e164).await;
        let (s1, st1, _) = app.authenticate_at(&app.kiosk, &phone, &pin).await;
        let (s2, st2, _) = app.authenticate_at(&app.kiosk2, &phone, &pin).await;
        assert_eq!((st1, st2), (StatusCode::OK, StatusCode::OK), "both sessions passed phone and PIN");
        let body = json!({ "birth_date": "1977-07-07" });
        let (a, b) = tokio::join!(
            app.step_at(&app.kiosk, &s1, "birth-date", body.clone()),
            app.step_at(&app.kiosk2, &s2, "birth-date", body.clone())
        );
        let opened = [&a, &b].iter().filter(|(s, v)| *s == StatusCode::OK && v["step"] == "collect").count();
        let refused: Vec<_> = [&a, &b]
            .iter()
            .filter(|(s, _)| *s != StatusCode::OK)
            .map(|(s, v)| (*s, v["error"]["code"].clone()))
            .collect();
        assert_eq!(opened, 1, "round {round}: {a:?} {b:?}");
        assert_eq!(refused, vec![(StatusCode::CONFLICT, json!("not_available"))], "round {round}");
        assert_eq!(app.sim_box().await["open_doors"], json!([compartment]));
        app.close(compartment).await;
        app.wait_status(&id, "collected").await;
        let (events, audit) = app.history(&id).await;
        assert_eq!(events.iter().filter(|e| *e == "claimed").count(), 1, "one claim: {events:?}");
        assert_eq!(audit.iter().filter(|e| *e == "handed_over").count(), 1, "one hand-over: {audit:?}");
        let (winner, loser) = if a.0 == StatusCode::OK { (&s1, &s2) } else { (&s2, &s1) };
        let (winner_panel, loser_panel) =
            if a.0 == StatusCode::OK { (&app.kiosk, &app.kiosk2) } else { (&app.kiosk2, &app.kiosk) };
        let won = app.get(&format!("/api/v1/kiosk/sessions/{winner}"), Some(winner_panel)).await.1;
        let lost = app.get(&format!("/api/v1/kiosk/sessions/{loser}"), Some(loser_panel)).await.1;
        assert_eq!((won["step"].as_str(), lost["reason"].as_str()), (Some("done"), Some("unavailable")));
    }
    // Losing the race refused no factor: neither panel slows down or nears its alarm.
    let audit = app.service.store().audit_entries(10_000).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "factor_refused").count(), 0);
    let box_id = abholbox_core::ids::BoxId::parse(crate::helpers::BOX).unwrap();
    let mut tx = app.service.store().begin().await.unwrap();
    for panel in ["a", "b"] {
        let panel = abholbox_core::ids::PanelId::parse(panel).unwrap();
        let since = chrono::Utc::now() - chrono::Duration::hours(1);
        assert_eq!(tx.panel_refusals(&box_id, &panel, since).await.unwrap().0, 0, "panel {panel}");
    }
    drop(tx);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_deposits_never_share_a_compartment() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(app.register(&format!("CD-{i}"), &format!("0151 2345690{}", i % 10), "1970-01-01", None).await);
    }
    let calls = ids.iter().map(|id| app.deposit_raw(id));
    let answers = futures::future::join_all(calls).await;
    let mut compartments: Vec<u64> = answers
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, StatusCode::CREATED, "{v}");
            v["compartment"].as_u64().unwrap()
        })
        .collect();
    compartments.sort_unstable();
    compartments.dedup();
    assert_eq!(compartments.len(), 20);
    app.stop().await;
}
