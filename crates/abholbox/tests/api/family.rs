//! A family: several documents for one phone number at one box, one PIN, one run.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, german_id};

#[tokio::test]
async fn a_family_collects_in_one_run_with_one_pin() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "0151 23456730";
    let mother = app.register("F-1", phone, "1980-03-03", Some("T22000129")).await;
    let child = app.register("F-2", phone, "2015-07-07", None).await;
    let c1 = app.deposit(&mother).await;
    app.clock.advance(chrono::Duration::seconds(5));
    let c2 = app.deposit(&child).await;
    let texts = app.sms_to("+4915123456730", 2).await;
    assert!(abholbox::bench::pin_in(&texts[0]).is_some(), "{}", texts[0]);
    assert!(abholbox::bench::pin_in(&texts[1]).is_none() && texts[1].contains("zuletzt gesendete PIN"), "{}", texts[1]);
    let pin = app.pin_for("+4915123456730").await;

    let (session, status, body) = app.authenticate(phone, &pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["step"].as_str(), &body["document"]),
        (Some("old_document"), &json!({ "position": 1, "of": 2, "kind": "id_card" }))
    );
    app.insert(&german_id("T22000129", "800303", "300101", "MUSTER", "ANNA")).await;
    let state = app.wait_step(&session, "collect").await;
    assert_eq!(state["compartments"][0]["compartment"], c1);
    app.close(c1).await;
    let state = app.wait_step(&session, "birth_date").await;
    assert_eq!(state["document"], json!({ "position": 2, "of": 2, "kind": "id_card" }));
    app.wait_status(&mother, "collected").await;
    assert_eq!(app.status(&child).await, "ready");
    let families = || app.db.number("SELECT COUNT(*) FROM family_pins");
    assert_eq!(families().await, 1, "the child's document still waits under the family's PIN");

    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "2015-07-07" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["compartments"][0]["compartment"], c2);
    app.close(c2).await;
    app.wait_step(&session, "done").await;
    app.wait_status(&child, "collected").await;
    assert_eq!(families().await, 0, "the family's PIN and phone hash go with its last document");
    app.stop().await;
}

#[tokio::test]
async fn a_family_run_skips_a_document_handed_out_at_another_panel() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "0151 23456731";
    let ids = [
        app.register("FS-1", phone, "1980-03-03", None).await,
        app.register("FS-2", phone, "2012-01-01", None).await,
        app.register("FS-3", phone, "2014-02-02", None).await,
    ];
    let mut compartments = Vec::new();
    for id in &ids {
        compartments.push(app.deposit(id).await);
        app.clock.advance(chrono::Duration::seconds(5));
    }
    let pin = app.pin_for("+4915123456731").await;
    let (a, _, body) = app.authenticate_at(&app.kiosk, phone, &pin).await;
    assert_eq!(body["document"], json!({ "position": 1, "of": 3, "kind": "id_card" }));
    let (status, _) = app.step(&a, "birth-date", json!({ "birth_date": "1980-03-03" })).await;
    assert_eq!(status, StatusCode::OK);

    // Meanwhile the second child's document is collected at the other panel.
    let (b, status, body) = app.authenticate_at(&app.kiosk2, phone, &pin).await;
    assert_eq!(
        (status, &body["document"]),
        (StatusCode::OK, &json!({ "position": 1, "of": 2, "kind": "id_card" })),
        "{body}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/kiosk/sessions/{b}/birth-date"),
            Some(&app.kiosk2),
            json!({ "birth_date": "2012-01-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    app.close(compartments[0]).await;
    let state = app.wait_step(&a, "birth_date").await;
    assert_eq!(
        state["document"],
        json!({ "position": 3, "of": 3, "kind": "id_card" }),
        "document 2 is skipped: {state}"
    );
    let (status, body) = app.step(&a, "birth-date", json!({ "birth_date": "2014-02-02" })).await;
    assert_eq!((status, body["compartments"][0]["compartment"].as_u64()), (StatusCode::OK, Some(compartments[2])));
    app.close(compartments[2]).await;
    app.close(compartments[1]).await;
    app.wait_step(&a, "done").await;
    for id in &ids {
        app.wait_status(id, "collected").await;
    }
    app.stop().await;
}

/// The family's last two documents called off at the same moment take its PIN and phone hash along:
/// each sees the other still waiting until it commits (PostgreSQL), so the last to end must look again.
#[tokio::test]
async fn a_familys_last_two_documents_ending_at_once_erase_its_pin() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let families = || app.db.number("SELECT COUNT(*) FROM family_pins");
    for round in 0..3 {
        let phone = format!("0151 2345674{round}");
        let first = app.register(&format!("FR-{round}-1"), &phone, "1980-03-03", None).await;
        let second = app.register(&format!("FR-{round}-2"), &phone, "2015-07-07", None).await;
        app.deposit(&first).await;
        app.deposit(&second).await;
        app.wait_status(&second, "ready").await;
        assert_eq!(families().await, 1, "one PIN for the family");
        let cancel = |id: String| {
            let (client, url, token) =
                (app.client.clone(), format!("{}/api/v1/pickups/{id}/cancel", app.base), app.integration.clone());
            async move { client.post(url).bearer_auth(token).json(&json!({ "reason": "moved away" })).send().await }
        };
        let (a, b) = tokio::join!(cancel(first), cancel(second));
        assert_eq!((a.unwrap().status(), b.unwrap().status()), (StatusCode::OK, StatusCode::OK));
        assert_eq!(families().await, 0, "round {round}: the family's PIN and phone hash go with both");
    }
    app.stop().await;
}

/// A PIN sent anew for one document of a family (the SMS was lost, or someone else saw it) is the
/// family's new PIN: the old one stops working for every document, as the new SMS says, and a
/// document made ready later shares the new one.
#[tokio::test]
async fn a_pin_sent_anew_is_the_whole_familys_new_pin() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "0151 23456732";
    let e164 = "+4915123456732";
    let mother = app.register("FN-1", phone, "1980-03-03", None).await;
    let child = app.register("FN-2", phone, "2015-07-07", None).await;
    app.deposit(&mother).await;
    app.deposit(&child).await;
    let old_pin = app.pin_for(e164).await;
    app.sms_to(e164, 2).await;

    let supervisor = app.supervisor().await;
    let child_id = abholbox_core::ids::PickupId::parse(&child).unwrap();
    app.service.send_new_pin(&supervisor, &child_id, "SMS lost").await.unwrap();
    let texts = app.sms_to(e164, 3).await;
    let new_pin = abholbox::bench::pin_in(&texts[2]).expect("the new SMS carries the PIN");
    assert_ne!(new_pin, old_pin);

    let (_, status, body) = app.authenticate(phone, &old_pin).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
        "the old PIN opens no document of the family: {body}"
    );
    let later = app.register("FN-3", phone, "2017-09-09", None).await;
    app.deposit(&later).await;
    let texts = app.sms_to(e164, 4).await;
    assert!(texts[3].contains("zuletzt gesendete PIN"), "the later document shares the family's PIN: {}", texts[3]);
    let (_, status, body) = app.authenticate(phone, &new_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["document"]["of"], 3, "the new PIN opens all three: {body}");
    assert!(texts[2].contains("für Ihre Dokumente"), "the new PIN's SMS says it is for all: {}", texts[2]);
    app.stop().await;
}

/// A family locked by wrong PINs ends with one PIN, whichever document's lock is lifted last: each
/// lifted lock's PIN becomes the PIN of the documents no longer locked.
#[tokio::test]
async fn a_family_unlocked_one_by_one_ends_with_one_pin() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "0151 23456734";
    let e164 = "+4915123456734";
    let ids =
        [app.register("FU-1", phone, "1980-03-03", None).await, app.register("FU-2", phone, "2015-07-07", None).await];
    for id in &ids {
        app.deposit(id).await;
    }
    let pin = app.pin_for(e164).await;
    let wrong = if pin.starts_with('1') { "2".repeat(pin.len()) } else { "1".repeat(pin.len()) };
    for _ in 0..5 {
        app.authenticate(phone, &wrong).await;
    }
    for id in &ids {
        assert_eq!(app.pickup(id).await["locked"], true, "wrong PINs count against the whole family");
    }
    let supervisor = app.supervisor().await;
    let unlock = |n: usize| {
        let (app, supervisor, id) = (&app, &supervisor, abholbox_core::ids::PickupId::parse(&ids[n]).unwrap());
        async move { app.service.unlock(supervisor, &id, "seen in person").await.unwrap() }
    };
    unlock(0).await;
    let first = app.sms_to(e164, 3).await;
    assert!(
        first[2].contains("Neue PIN") && !first[2].contains("Ihre Dokumente"),
        "only this one is open: {}",
        first[2]
    );
    unlock(1).await;
    let texts = app.sms_to(e164, 4).await;
    assert!(texts[3].contains("für Ihre Dokumente"), "{}", texts[3]);
    let (first_pin, last_pin) =
        (abholbox::bench::pin_in(&first[2]).unwrap(), abholbox::bench::pin_in(&texts[3]).unwrap());
    let (_, status, _) = app.authenticate(phone, &first_pin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the first lifted lock's PIN is old now");
    let (_, status, body) = app.authenticate(phone, &last_pin).await;
    assert_eq!((status, &body["document"]["of"]), (StatusCode::OK, &json!(2)), "one PIN for both: {body}");
    app.stop().await;
}
