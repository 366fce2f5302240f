//! A mistyped mobile number corrected by the registry or a supervisor: the PIN goes to the right
//! number, and the wrong one no longer leads to the document.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The purposes and states of a pickup's messages, oldest first.
fn messages(pickup: &Value) -> Vec<(String, String)> {
    pickup["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["purpose"].as_str().unwrap_or("").to_owned(), m["state"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test]
async fn a_mistyped_number_corrected_gets_a_new_pin_and_the_old_number_leads_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (wrong, right) = ("0151 23456750", "0151 23456751");
    let (wrong_e164, right_e164) = ("+4915123456750", "+4915123456751");
    let id = app.register("PH-1", wrong, "1980-03-03", None).await;
    app.deposit(&id).await;
    let old_pin = app.pin_for(wrong_e164).await;
    let pickup = app.pickup(&id).await;
    assert!(messages(&pickup).contains(&("reminder".into(), "queued".into())), "{pickup}");

    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{id}/phone"),
            Some(&app.integration),
            json!({ "phone": right, "reason": "mistyped at the opt-in" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    let sent = messages(&body);
    assert!(sent.contains(&("reminder".into(), "dropped".into())), "the old number's reminder goes: {sent:?}");
    assert!(sent.iter().any(|(p, s)| p == "new_pin" && s != "dropped"), "{sent:?}");
    assert_eq!(
        sent.iter().filter(|(p, s)| p == "reminder" && s == "queued").count(),
        1,
        "one reminder, anew: {sent:?}"
    );

    let new_pin = app.pin_for(right_e164).await;
    assert_ne!(new_pin, old_pin);
    let text = &app.sms_to(right_e164, 1).await[0];
    assert!(
        text.contains("liegt in der Abholbox") && !text.contains("alte PIN"),
        "the new number never had a PIN that could stop working: {text}"
    );
    let families = app.db.number("SELECT COUNT(*) FROM family_pins").await;
    assert_eq!(families, 1, "the wrong number's hash and PIN are not kept");
    assert_eq!(app.sms_to(wrong_e164, 1).await.len(), 1, "nothing more goes to the wrong number");
    for (phone, pin) in [(wrong, old_pin.as_str()), (right, old_pin.as_str()), (wrong, new_pin.as_str())] {
        let (_, status, body) = app.authenticate(phone, pin).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong")),
            "{phone} with the {} PIN: {body}",
            if pin == old_pin { "old" } else { "new" }
        );
    }
    let (session, status, body) = app.authenticate(right, &new_pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-03-03" })).await;
    assert_eq!(status, StatusCode::OK, "the birth date stays with the new number: {body}");

    app.assert_recorded(&id, "phone_changed").await;
    let (_, events) = app.get(&format!("/api/v1/pickups/{id}/events"), Some(&app.integration)).await;
    let audit: Vec<String> =
        app.service.store().audit_entries(1000).await.unwrap().iter().map(|a| a.detail.to_string()).collect();
    assert!(audit.iter().any(|d| d.contains("mistyped at the opt-in")), "the reason is kept: {audit:?}");
    for digits in ["23456750", "23456751"] {
        assert!(!events.to_string().contains(digits), "no number in the feed: {events}");
        assert!(audit.iter().all(|d| !d.contains(digits)), "no number in the audit log: {audit:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_number_corrected_before_loading_gets_the_first_sms() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("PH-2", "0151 23456752", "1980-03-03", None).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{id}/phone"),
            Some(&app.integration),
            json!({ "phone": "+49 151 23456753", "reason": "new phone" }),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("awaiting_deposit")), "{body}");
    assert!(messages(&body).is_empty(), "no SMS before the document is in the box: {body}");
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456753").await;
    let (_, status, body) = app.authenticate("0151 23456753", &pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(app.sms().await.iter().all(|m| m["to"] != "+4915123456752"), "nothing to the old number");
    app.stop().await;
}

#[tokio::test]
async fn a_number_is_corrected_only_by_the_registry_or_a_supervisor_and_only_while_it_matters() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("PH-3", "0151 23456754", "1980-03-03", None).await;
    let path = format!("/api/v1/pickups/{id}/phone");
    let body = |phone: &str| json!({ "phone": phone, "reason": "mistyped" });

    let (status, refused) = app.post(&path, Some(&app.integration), body("0211 8993000")).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_phone")));
    let (status, refused) = app.post(&path, Some(&app.integration), json!({ "phone": "0151 23456755" })).await;
    assert!(status.is_client_error(), "a reason is needed: {refused}");
    let (status, _) = app.post(&path, Some(&app.kiosk), body("0151 23456755")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a kiosk token");
    let clerk = app.staff("clerk-ph", abholbox_core::staff::StaffRole::Clerk).await;
    let pickup = abholbox_core::ids::PickupId::parse(&id).unwrap();
    assert!(
        matches!(
            app.service.change_phone(&clerk, &pickup, "0151 23456755", "mistyped").await,
            Err(abholbox_service::Error::Forbidden)
        ),
        "a clerk may not send the PIN elsewhere"
    );
    let supervisor = app.supervisor().await;
    app.service.change_phone(&supervisor, &pickup, "0151 23456755", "citizen called").await.unwrap();

    let (status, _) =
        app.post(&format!("/api/v1/pickups/{id}/cancel"), Some(&app.integration), json!({ "reason": "moved" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = app.post(&path, Some(&app.integration), body("0151 23456756")).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition")),
        "a called-off pickup keeps no number: {refused}"
    );
    app.stop().await;
}

/// A child's document registered under the mother's mistyped number, corrected to the father's:
/// it leaves the mother's family (her PIN still opens hers) and joins the father's under a new PIN.
#[tokio::test]
async fn a_corrected_document_leaves_one_family_and_joins_another() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (mother, father) = ("0151 23456757", "0151 23456758");
    let (mother_e164, father_e164) = ("+4915123456757", "+4915123456758");
    let hers = app.register("PF-1", mother, "1980-03-03", None).await;
    let child = app.register("PF-2", mother, "2015-07-07", None).await;
    let his = app.register("PF-3", father, "1978-04-04", None).await;
    for id in [&hers, &child, &his] {
        app.deposit(id).await;
    }
    let mother_pin = app.pin_for(mother_e164).await;
    let father_pin = app.pin_for(father_e164).await;
    let families = || app.db.number("SELECT COUNT(*) FROM family_pins");
    assert_eq!(families().await, 2);

    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{child}/phone"),
            Some(&app.integration),
            json!({ "phone": father, "reason": "the father collects" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let texts = app.sms_to(father_e164, 2).await;
    let new_pin = abholbox::bench::pin_in(&texts[1]).expect("a new PIN for the father");
    assert!(texts[1].contains("für Ihre Dokumente"), "one PIN for his two documents: {}", texts[1]);
    assert_ne!(new_pin, father_pin);

    let (_, status, body) = app.authenticate(mother, &mother_pin).await;
    assert_eq!((status, &body["document"]["of"]), (StatusCode::OK, &json!(1)), "hers alone: {body}");
    let (_, status, body) = app.authenticate(father, &new_pin).await;
    assert_eq!((status, &body["document"]["of"]), (StatusCode::OK, &json!(2)), "his and the child's: {body}");
    let (_, status, _) = app.authenticate(father, &father_pin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "his old PIN is replaced");
    assert_eq!(families().await, 2, "each number one family row");
    app.stop().await;
}

/// A correction refused while the citizen stands at the open compartment changes nothing: the
/// number is sealed anew before the transition refuses, and the refusal takes that back too.
#[tokio::test]
async fn a_correction_refused_during_a_hand_over_leaves_the_number_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("PH-9", "0151 23456769", "1980-09-09", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456769").await;
    let (session, _, _) = app.authenticate("0151 23456769", &pin).await;
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-09-09" })).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("collect")), "{body}");
    app.db.execute("CREATE TABLE sealed_before AS SELECT pickup_id, sealed FROM personal_data").await;
    let sms_before = app.sms().await.len();

    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{id}/phone"),
            Some(&app.integration),
            json!({ "phone": "0151 23456770", "reason": "mistyped" }),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")), "{body}");
    let unchanged = app
        .db
        .number(
            "SELECT COUNT(*) FROM personal_data p JOIN sealed_before b
               ON b.pickup_id = p.pickup_id AND b.sealed = p.sealed",
        )
        .await;
    assert_eq!(unchanged, 1, "the personal data is sealed as it was before the refusal");
    let (events, _) = app.history(&id).await;
    assert!(!events.iter().any(|e| e == "phone_changed"), "{events:?}");
    assert_eq!(app.sms().await.len(), sms_before, "no PIN went anywhere");

    app.close(compartment).await;
    app.wait_status(&id, "collected").await;
    app.stop().await;
}

/// A session let in with the old number and PIN before the correction does not hand the document
/// out afterwards: the PIN it was let in with is no longer the document's.
#[tokio::test]
async fn a_session_let_in_before_the_correction_hands_nothing_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (wrong, right) = ("0151 23456760", "0151 23456761");
    let id = app.register("PS-1", wrong, "1980-05-05", None).await;
    app.deposit(&id).await;
    let old_pin = app.pin_for("+4915123456760").await;
    let (session, status, body) = app.authenticate(wrong, &old_pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");

    let path = format!("/api/v1/pickups/{id}/phone");
    let (status, body) = app.post(&path, Some(&app.integration), json!({ "phone": right, "reason": "mistyped" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-05-05" })).await;
    assert_eq!(body["error"]["code"], "not_available", "{status} {body}");
    assert_eq!(app.status(&id).await, "ready");
    let (events, _) = app.history(&id).await;
    assert!(!events.iter().any(|e| e == "claimed"), "nothing claimed with the old PIN: {events:?}");

    let new_pin = app.pin_for("+4915123456761").await;
    let (session, status, body) = app.authenticate(right, &new_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-05-05" })).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("collect")), "{body}");
    app.stop().await;
}

/// A family's run let in before one of its documents was corrected to another number passes that
/// document over: it is the other number's now.
#[tokio::test]
async fn a_familys_run_passes_over_a_document_corrected_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (a, b) = ("0151 23456762", "0151 23456763");
    let first = app.register("PR-1", a, "1980-03-03", None).await;
    let second = app.register("PR-2", a, "2015-07-07", None).await;
    let c1 = app.deposit(&first).await;
    app.clock.advance(chrono::Duration::seconds(5));
    app.deposit(&second).await;
    let pin = app.pin_for("+4915123456762").await;
    let (session, status, body) = app.authenticate(a, &pin).await;
    assert_eq!((status, &body["document"]["of"]), (StatusCode::OK, &json!(2)), "{body}");

    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{second}/phone"),
            Some(&app.integration),
            json!({ "phone": b, "reason": "the father collects" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-03-03" })).await;
    assert_eq!((status, body["compartments"][0]["compartment"].as_u64()), (StatusCode::OK, Some(c1)), "{body}");
    app.close(c1).await;
    app.wait_step(&session, "done").await;
    app.wait_status(&first, "collected").await;
    assert_eq!(app.status(&second).await, "ready", "the corrected document waits for its new number");
    let new_pin = app.pin_for("+4915123456763").await;
    let (_, status, body) = app.authenticate(b, &new_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

/// The same for a PIN sent anew at the same number (the SMS was lost, or someone saw it): a session
/// let in with the old PIN before does not hand the document out.
#[tokio::test]
async fn a_session_let_in_before_a_new_pin_was_sent_hands_nothing_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "0151 23456764";
    let id = app.register("PN-1", phone, "1980-05-05", None).await;
    app.deposit(&id).await;
    let old_pin = app.pin_for("+4915123456764").await;
    let (session, status, _) = app.authenticate(phone, &old_pin).await;
    assert_eq!(status, StatusCode::OK);
    let supervisor = app.supervisor().await;
    let pickup = abholbox_core::ids::PickupId::parse(&id).unwrap();
    app.service.send_new_pin(&supervisor, &pickup, "someone saw the SMS").await.unwrap();
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-05-05" })).await;
    assert_eq!(body["error"]["code"], "not_available", "{status} {body}");
    assert_eq!(app.status(&id).await, "ready");
    app.stop().await;
}

/// A locked document corrected: its old PIN goes at once, and the PIN its lifted lock sends is the
/// first at the new number, in the ordinary words.
#[tokio::test]
async fn a_locked_document_corrected_gets_its_first_pin_at_the_new_number_when_unlocked() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (wrong, right) = ("0151 23456765", "0151 23456766");
    let id = app.register("PL-1", wrong, "1980-05-05", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for("+4915123456765").await;
    let bad = if pin.starts_with('1') { "2".repeat(pin.len()) } else { "1".repeat(pin.len()) };
    for _ in 0..5 {
        app.authenticate(wrong, &bad).await;
    }
    assert_eq!(app.pickup(&id).await["locked"], true);
    let (status, body) = app
        .post(
            &format!("/api/v1/pickups/{id}/phone"),
            Some(&app.integration),
            json!({ "phone": right, "reason": "typo" }),
        )
        .await;
    assert_eq!((status, &body["locked"]), (StatusCode::OK, &json!(true)), "{body}");
    assert!(app.sms().await.iter().all(|m| m["to"] != "+4915123456766"), "no PIN while locked");
    let supervisor = app.supervisor().await;
    let pickup = abholbox_core::ids::PickupId::parse(&id).unwrap();
    app.service.unlock(&supervisor, &pickup, "seen in person").await.unwrap();
    let text = &app.sms_to("+4915123456766", 1).await[0];
    assert!(text.contains("liegt in der Abholbox") && !text.contains("alte PIN"), "{text}");
    let new_pin = abholbox::bench::pin_in(text).unwrap();
    let (_, status, body) = app.authenticate(right, &new_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}
