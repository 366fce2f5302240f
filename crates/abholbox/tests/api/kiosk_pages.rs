//! The kiosk panel's pages over HTTP as the panel's browser speaks them (without its script):
//! pairing into an HttpOnly cookie, the steps as form posts, the session's language kept on the
//! server, refusals on the same screen, help with a call for staff, and "still here".

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{TestApp, german_id};

/// A panel's browser without script: keeps its cookies, follows nothing by itself.
struct Panel {
    base: String,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
    set_cookies: Vec<String>,
}

impl Panel {
    fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.base.clone(), client, cookies: Vec::new(), set_cookies: Vec::new() }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (StatusCode, Option<String>, String) {
        let header = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let answer = request.header(COOKIE, header).send().await.unwrap();
        self.set_cookies =
            answer.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for line in &self.set_cookies {
            let (name, value) = line.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !line.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = answer.status();
        let location = answer.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (status, location, answer.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let (status, _, body) = self.send(self.client.get(format!("{}{path}", self.base))).await;
        (status, body)
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let (status, _, body) = self.send(self.client.post(format!("{}{path}", self.base)).form(form)).await;
        (status, body)
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn screen(body: &str) -> &str {
    let marker = "data-screen=\"";
    let start = body.find(marker).unwrap_or_else(|| panic!("no screen in {body}")) + marker.len();
    body[start..].split('"').next().unwrap()
}

#[tokio::test]
async fn a_panel_is_paired_into_a_cookie_and_walks_a_pickup_in_its_language() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let mut panel = Panel::new(&app);

    let (status, body) = panel.get("/kiosk").await;
    assert_eq!((status, screen(&body)), (StatusCode::UNAUTHORIZED, "unpaired"));
    let (status, body) = panel.post("/kiosk/pair", &[("token", &app.integration)]).await;
    assert_eq!((status, screen(&body)), (StatusCode::FORBIDDEN, "pair"), "only a kiosk token pairs");
    assert!(panel.cookie("abholbox_kiosk").is_none());
    let (status, _, _) = panel.send(panel.client.get(format!("{}/kiosk/pair?code=0123456789abcdef", panel.base))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an unknown pairing code");

    let (status, location, _) =
        panel.send(panel.client.post(format!("{}/kiosk/pair", panel.base)).form(&[("token", &app.kiosk)])).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/kiosk")));
    let set = panel.set_cookies.iter().find(|c| c.starts_with("abholbox_kiosk=")).unwrap().clone();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/kiosk"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }

    let (status, body) = panel.get("/kiosk").await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "start"));
    for name in ["Deutsch", "Leichte Sprache", "English", "Türkçe", "العربية", "Українська", "Polski"]
    {
        assert!(body.contains(name), "the start screen lists {name}");
    }
    assert!(body.contains("Content-Security-Policy") || !body.contains("<script>"), "no inline script");

    let phone = "+4915123456701";
    let id = app.register("K-1", phone, "1974-08-12", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for(phone).await;

    for (name, value) in [("origin", "http://evil.example"), ("sec-fetch-site", "same-site")] {
        let forged =
            panel.client.post(format!("{}/kiosk/start", panel.base)).header(name, value).form(&[("lang", "en")]);
        let (status, _, _) = panel.send(forged).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a post from another origin ({name}) is refused");
    }
    assert!(panel.cookie("abholbox_panel_session").is_none(), "and started nothing");
    let (status, body) = panel.post("/kiosk/start", &[("lang", "en")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "phone"));
    assert!(body.contains("<html lang=\"en\" dir=\"ltr\">") && body.contains("Your mobile number"), "{body}");
    let session = panel.cookie("abholbox_panel_session").expect("a session cookie").to_owned();
    assert_eq!(app.state(&session).await["language"], "en", "the session keeps its language on the server");

    let (status, body) = panel.post("/kiosk/phone", &[("phone", "0151 23456701")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "pin"));
    let (status, body) = panel.post("/kiosk/phone", &[("phone", "0151 23456701")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "pin"), "a repeated press shows the step as it stands");
    assert!(!body.contains("class=\"error\""), "without a refusal: {body}");
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let (status, body) = panel.post("/kiosk/pin", &[("pin", wrong)]).await;
    assert_eq!((status, screen(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "pin"));
    assert!(body.contains("Mobile number or PIN") || body.contains("mobile number or PIN"), "{body}");
    assert!(!body.contains(wrong), "the refused PIN is not shown back");
    let (status, body) = panel.post("/kiosk/pin", &[("pin", &pin)]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "birth_date"));
    assert!(body.contains("Enter your date of birth"), "one's own document asks for one's own: {body}");
    let (status, body) = panel.post("/kiosk/birth-date", &[("birth_date", "13.08.1974")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "birth_date"));
    let (status, body) = panel.post("/kiosk/birth-date", &[("birth_date", "12081974")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "collect"), "{body}");
    let open = app.state(&session).await;
    let compartment = open["compartments"][0]["compartment"].as_u64().unwrap();
    let label = open["compartments"][0]["label"].as_str().unwrap().to_owned();
    assert!(body.contains(&format!("Compartment {label} is opening")), "{body}");
    assert!(
        body.contains("from the bottom") && body.contains("class=\"open\""),
        "the position in words and on the map"
    );

    let (status, refused) = panel.get("/kiosk/wait?v=abc").await;
    let refused: serde_json::Value = serde_json::from_str(&refused).unwrap();
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
        "a version that is no number is named: {refused}"
    );
    let (status, waited) = panel.get("/kiosk/wait?v=0").await;
    assert_eq!(status, StatusCode::OK, "{waited}");
    let version: serde_json::Value = serde_json::from_str(&waited).unwrap();
    app.close(compartment).await;
    let (_, moved) = panel.get(&format!("/kiosk/wait?v={}", version["version"])).await;
    let moved: serde_json::Value = serde_json::from_str(&moved).unwrap();
    assert_ne!(moved["version"], version["version"], "the door's close wakes the waiting panel");
    app.wait_status(&id, "collected").await;
    let (_, body) = panel.get("/kiosk").await;
    assert_eq!(screen(&body), "done");
    let (_, body) = panel.post("/kiosk/restart", &[]).await;
    assert_eq!(screen(&body), "start");
    assert!(panel.cookie("abholbox_panel_session").is_none(), "the session cookie goes with the citizen");
    app.stop().await;
}

#[tokio::test]
async fn help_calls_staff_and_the_idle_clock_restarts_when_the_citizen_is_still_there() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let mut panel = Panel::new(&app);
    panel.post("/kiosk/pair", &[("token", &app.kiosk)]).await;

    let (_, body) = panel.post("/kiosk/start", &[("lang", "ar")]).await;
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"), "Arabic is laid out right to left");
    let session = panel.cookie("abholbox_panel_session").unwrap().to_owned();
    let (status, body) = panel.get("/kiosk/help").await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "help"));
    let (_, sites) = app.get("/api/v1/admin/sites", Some(&app.admin)).await;
    let mut site = sites.as_array().unwrap().iter().find(|s| s["id"] == crate::helpers::SITE).unwrap().clone();
    site.as_object_mut().unwrap().remove("id");
    site["open_24_7"] = json!(false);
    site["opening_hours"] = json!("Mo-Fr 08:00-12:00; PH off");
    site["counter_phone"] = json!("0211 89-91");
    let (status, _) = app.put(&format!("/api/v1/admin/sites/{}", crate::helpers::SITE), Some(&app.admin), site).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = panel.get("/kiosk/help").await;
    assert!(body.contains("الاثنين-الجمعة 08:00-12:00"), "the hours with the panel's day names: {body}");
    assert!(!body.contains("PH off") && body.contains("0211 89-91"), "no holiday rule, the counter's number");
    let (status, body) = panel.post("/kiosk/call-staff", &[]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "help"));
    let (_, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    let called: Vec<_> = alarms.as_array().unwrap().iter().filter(|a| a["kind"] == "staff_called").collect();
    assert_eq!(called.len(), 1, "{alarms}");
    panel.post("/kiosk/call-staff", &[]).await;
    let (_, alarms) = app.get("/api/v1/admin/alarms", Some(&app.admin)).await;
    assert_eq!(alarms.as_array().unwrap().iter().filter(|a| a["kind"] == "staff_called").count(), 1, "one open call");

    let before = app.state(&session).await["expires_at"].as_str().unwrap().to_owned();
    app.clock.advance(chrono::Duration::seconds(90));
    let (status, _) = panel.post("/kiosk/still-here", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = app.state(&session).await;
    assert_eq!(after["step"], "phone", "still there after 90 s of a 120 s idle timeout: {after}");
    assert!(after["expires_at"].as_str().unwrap() > before.as_str(), "the idle clock started again");
    app.clock.advance(chrono::Duration::seconds(100));
    assert_eq!(app.state(&session).await["step"], "phone", "190 s after the start, 100 s after the answer");

    let (_, body) = panel.post("/kiosk/cancel", &[]).await;
    assert_eq!(screen(&body), "start");
    assert_eq!(app.state(&session).await["reason"], "cancelled");
    app.stop().await;
}

#[tokio::test]
async fn the_session_api_takes_a_language_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (status, body) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({ "language": "de-x-ls" })).await;
    assert_eq!((status, body["language"].as_str()), (StatusCode::CREATED, Some("de-x-ls")), "{body}");
    let (status, body) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({ "language": "fr" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_language")));
    let answer =
        app.client.post(format!("{}/api/v1/kiosk/sessions", app.base)).bearer_auth(&app.kiosk).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED, "no body: German");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["language"], "de");
    let answer = app
        .client
        .post(format!("{}/api/v1/kiosk/sessions", app.base))
        .bearer_auth(&app.kiosk)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED, "an empty JSON body: German, as before");

    // The old document through the slot reaches the panel's screen.
    let mut panel = Panel::new(&app);
    panel.post("/kiosk/pair", &[("token", &app.kiosk)]).await;
    let phone = "+4915123456702";
    let id = app.register("K-2", phone, "1980-01-01", Some("L01X00T47")).await;
    app.deposit(&id).await;
    let pin = app.pin_for(phone).await;
    panel.post("/kiosk/start", &[("lang", "pl")]).await;
    panel.post("/kiosk/phone", &[("phone", "+49 151 23456702")]).await;
    let (_, body) = panel.post("/kiosk/pin", &[("pin", &pin)]).await;
    assert_eq!(screen(&body), "old_document");
    let version = body.split("data-version=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    app.insert(&german_id("L01X00T47", "800101", "301231", "MUSTER", "ANNA")).await;
    let (_, moved) = panel.get(&format!("/kiosk/wait?v={version}")).await;
    assert!(!moved.contains(&format!("\"version\":{version}")), "{moved}");
    let (_, body) = panel.get("/kiosk").await;
    assert_eq!(screen(&body), "collect");
    assert!(body.contains("lang=\"pl\""));
    app.stop().await;
}

#[tokio::test]
async fn where_the_site_asks_for_it_the_pin_letter_is_confirmed_and_recorded_before_the_third_factor() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (_, sites) = app.get("/api/v1/admin/sites", Some(&app.admin)).await;
    let mut site = sites.as_array().unwrap().iter().find(|s| s["id"] == crate::helpers::SITE).unwrap().clone();
    site.as_object_mut().unwrap().remove("id");
    site["pin_letter_kinds"] = json!(["passport"]);
    let (status, body) =
        app.put(&format!("/api/v1/admin/sites/{}", crate::helpers::SITE), Some(&app.admin), site.clone()).await;
    assert_eq!((status, body["pin_letter_kinds"].clone()), (StatusCode::OK, json!(["passport"])), "{body}");
    let (status, _) = app
        .put(&format!("/api/v1/admin/sites/{}", crate::helpers::SITE), Some(&app.admin), {
            let mut wrong = site.clone();
            wrong["pin_letter_kinds"] = json!(["library_card"]);
            wrong
        })
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // An ID card where only passports ask: no letter step.
    let phone = "+4915123456703";
    let id = app.register("K-3", phone, "1980-01-01", None).await;
    app.deposit(&id).await;
    let pin = app.pin_for(phone).await;
    let (session, status, body) = app.authenticate(phone, &pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");
    app.post(&format!("/api/v1/kiosk/sessions/{session}/cancel"), Some(&app.kiosk), json!({})).await;

    site["pin_letter_kinds"] = json!(["id_card"]);
    app.put(&format!("/api/v1/admin/sites/{}", crate::helpers::SITE), Some(&app.admin), site).await;
    let (session, status, body) = app.authenticate(phone, &pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("pin_letter")), "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-01-01" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("wrong_step")),
        "no factor before the letter"
    );
    let (status, body) = app.step(&session, "pin-letter", json!({})).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");
    let recorded: Vec<_> = app
        .service
        .store()
        .audit_entries(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "pin_letter_confirmed" && a.object == id)
        .collect();
    assert_eq!(recorded.len(), 1, "the confirmation is recorded with the pickup");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-01-01" })).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("collect")), "{body}");
    app.stop().await;
}

/// In a family's run the birth date asked for is that of the person the document is for (a parent
/// typing their own would spend the child's tries).
#[tokio::test]
async fn a_familys_run_asks_for_the_document_holders_birth_date() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let phone = "+4915123456733";
    for (reference, birth) in [("KF-1", "1980-03-03"), ("KF-2", "2015-07-07")] {
        let id = app.register(reference, phone, birth, None).await;
        app.deposit(&id).await;
    }
    let pin = app.pin_for(phone).await;
    let mut panel = Panel::new(&app);
    let (status, _, _) =
        panel.send(panel.client.post(format!("{}/kiosk/pair", panel.base)).form(&[("token", &app.kiosk)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    panel.post("/kiosk/start", &[("lang", "de")]).await;
    panel.post("/kiosk/phone", &[("phone", "0151 23456733")]).await;
    let (status, body) = panel.post("/kiosk/pin", &[("pin", &pin)]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "birth_date"));
    assert!(body.contains("Geburtsdatum der Person auf dem Dokument"), "{body}");
    assert!(!body.contains("Geben Sie Ihr Geburtsdatum ein"), "{body}");
    app.stop().await;
}

/// What the layers around the screens refuse (a field given twice, a method the path does not take,
/// a post from another origin) is a screen that leads back to the session's step, not the API's
/// JSON, which the panel's script would show as bare text with no way on.
#[tokio::test]
async fn a_refusal_around_the_screens_is_a_screen_that_leads_back() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let mut panel = Panel::new(&app);
    let (status, _, _) =
        panel.send(panel.client.post(format!("{}/kiosk/pair", panel.base)).form(&[("token", &app.kiosk)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = panel.post("/kiosk/start", &[("lang", "en")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "phone"));

    let (status, body) = panel.post("/kiosk/phone", &[("phone", "0151 23456701"), ("phone", "0151 23456702")]).await;
    assert_eq!((status, screen(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "hitch"), "{body}");
    assert!(
        body.contains("href=\"/kiosk\"") && body.contains("That did not work"),
        "in the citizen's language: {body}"
    );
    assert!(body.contains("<html lang=\"en\""), "{body}");
    let (status, body) = panel.get("/kiosk/phone").await;
    assert_eq!((status, screen(&body)), (StatusCode::METHOD_NOT_ALLOWED, "hitch"), "{body}");
    let forged = panel.client.post(format!("{}/kiosk/phone", panel.base)).header("origin", "http://evil.example");
    let (status, _, body) = panel.send(forged.form(&[("phone", "0151 23456701")])).await;
    assert_eq!((status, screen(&body)), (StatusCode::FORBIDDEN, "hitch"), "{body}");

    let (status, body) = panel.get("/kiosk").await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "phone"), "the session waits where it was");
    let (status, body) = panel.post("/kiosk/cancel", &[]).await;
    assert_eq!((status, screen(&body)), (StatusCode::OK, "start"));
    let (_, body) = panel.get("/kiosk/phone").await;
    assert!(body.contains("Das hat nicht geklappt"), "with the session over, German again: {body}");
    let (status, refused) = panel.get("/kiosk/wait?v=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.starts_with('{'), "the script's own question is answered JSON: {refused}");
    app.stop().await;
}
