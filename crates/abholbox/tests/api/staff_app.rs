//! The staff app over HTTP as a browser speaks it: sign-in with its cookies, forms with their
//! anti-forgery token, roles and sites checked in the use cases whichever way a member calls.

use std::collections::HashMap;

use abholbox_core::staff::StaffRole;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{BOX, SITE, TestApp, german_id};

const PASSWORD: &str = "Pferd Batterie Heftklammer";

/// A browser without script: follows nothing by itself, keeps cookies, reads hidden fields.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    /// The `Set-Cookie` lines of the last answer, as sent.
    last_set_cookies: Vec<String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Page {
    /// The value of the first hidden field called `name`.
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start =
            self.body.find(&marker).unwrap_or_else(|| panic!("no field {name} in {}", self.body)) + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.base.clone(), client, cookies: HashMap::new(), last_set_cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let answer = request.header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.last_set_cookies =
            answer.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for line in &self.last_set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = answer.status();
        let location = answer.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        Page { status, location, body: answer.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    async fn api(&mut self, path: &str, csrf: Option<&str>, body: serde_json::Value) -> Page {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(request).await
    }

    async fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/staff/sign-in").await;
        let token = form.field("token");
        self.post("/staff/sign-in", &[("token", &token), ("name", name), ("password", password)]).await
    }

    /// The anti-forgery token of the signed-in session, as the pages carry it.
    async fn csrf(&mut self) -> String {
        self.get("/staff").await.field("csrf")
    }
}

async fn member(app: &TestApp, name: &str, role: StaffRole, site: &str) {
    let new = abholbox_service::staff::NewStaff {
        name: name.into(),
        role,
        sites: vec![abholbox_core::ids::SiteId::parse(site).unwrap()],
        password: PASSWORD.into(),
    };
    app.service.create_staff(&abholbox_service::Principal::Host, new).await.unwrap();
}

#[tokio::test]
async fn a_clerk_signs_in_with_a_strict_cookie_works_and_signs_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    let mut browser = Browser::new(&app);

    let page = browser.get("/staff").await;
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some("/staff/sign-in")));
    let refused = browser.sign_in("anna", "wrong password, long enough").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("Anmeldung nicht möglich"), "{}", refused.body);
    assert!(!browser.cookies.contains_key("abholbox_staff"));
    let unknown = browser.sign_in("nobody", "wrong password, long enough").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body.replace(&unknown.field("token"), ""),
        refused.body.replace(&refused.field("token"), "").replace("value=\"anna\"", "value=\"nobody\""),
        "an unknown name reads exactly like a wrong password"
    );

    // A form posted from another origin of the same site (which could have planted the sign-in
    // cookie) signs nobody in.
    let token = browser.get("/staff/sign-in").await.field("token");
    for (name, value) in [("origin", "http://evil.example"), ("sec-fetch-site", "same-site")] {
        let forged = browser.client.post(format!("{}/staff/sign-in", browser.base)).header(name, value).form(&[
            ("token", token.as_str()),
            ("name", "anna"),
            ("password", PASSWORD),
        ]);
        let page = browser.send(forged).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "a post from another origin ({name}) is refused");
        assert!(!browser.cookies.contains_key("abholbox_staff"), "and signed nobody in");
    }

    let doubled = browser
        .client
        .post(format!("{}/staff/sign-in", browser.base))
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", token.as_str()), ("name", "anna"), ("password", PASSWORD)]);
    assert_eq!(browser.send(doubled).await.status, StatusCode::FORBIDDEN, "a second copy hides nothing");
    // As Chromium posts the form from a page sent with `Referrer-Policy: no-referrer`.
    let token = browser.get("/staff/sign-in").await.field("token");
    let request = browser
        .client
        .post(format!("{}/staff/sign-in", browser.base))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&[("token", token.as_str()), ("name", "anna"), ("password", PASSWORD)]);
    let signed_in = browser.send(request).await;
    assert_eq!((signed_in.status, signed_in.location.as_deref()), (StatusCode::SEE_OTHER, Some("/staff")));
    let session = browser.last_set_cookies.iter().find(|c| c.starts_with("abholbox_staff=")).unwrap().clone();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "no TLS here, so no Secure: the browser would drop the cookie");
    let first_secret = browser.cookies["abholbox_staff"].clone();

    let home = browser.get("/staff").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains(&format!("/staff/boxes/{BOX}")) && home.body.contains("anna"), "{}", home.body);
    let view = browser.get(&format!("/staff/boxes/{BOX}")).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body.matches("class=\"cell look-free").count(), 600, "every compartment, all free");
    let headers =
        browser.client.get(format!("{}/staff", app.base)).header(COOKIE, browser.cookie_header()).send().await.unwrap();
    let policy = headers.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");

    // Signing in again gives a new secret: one planted before a sign-in is worth nothing after it.
    browser.sign_in("anna", PASSWORD).await;
    assert_ne!(browser.cookies["abholbox_staff"], first_secret);

    let csrf = browser.csrf().await;
    let out = browser.post("/staff/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_deref()), (StatusCode::SEE_OTHER, Some("/staff/sign-in")));
    let secret = browser.cookies.get("abholbox_staff").cloned();
    assert!(secret.is_none(), "the cookie is cleared");
    let mut replay = Browser::new(&app);
    replay.cookies.insert("abholbox_staff".into(), first_secret);
    assert_eq!(replay.get("/staff").await.status, StatusCode::SEE_OTHER, "an ended session opens nothing");
    app.stop().await;
}

#[tokio::test]
async fn forms_and_api_calls_without_the_sessions_token_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("anna", PASSWORD).await;
    let id = app.register("CSRF-1", "0151 23456701", "1980-01-01", None).await;

    let forged = browser.post("/staff/sign-out", &[("csrf", "0000")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = browser.post(&format!("/staff/boxes/{BOX}/load"), &[("number", "T22000129")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token, no opening");
    assert_eq!(app.status(&id).await, "awaiting_deposit");
    assert_eq!(browser.get("/staff").await.status, StatusCode::OK, "still signed in");

    let cancel = format!("/api/v1/pickups/{id}/cancel");
    let forged = browser.api(&cancel, None, json!({ "reason": "forged" })).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let csrf = browser.csrf().await;
    let done = browser.api(&cancel, Some(&csrf), json!({ "reason": "citizen came to the counter" })).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(app.status(&id).await, "cancelled");
    app.stop().await;
}

#[tokio::test]
async fn roles_and_sites_are_checked_in_the_use_cases() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let site = json!({ "name": "Bürgerbüro Bilk", "address": "Bachstraße 145", "opening_hours": "Mo-Fr 08:00-12:00" });
    let (status, body) = app.put("/api/v1/admin/sites/dus-bilk", Some(&app.admin), site).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    member(&app, "bea", StaffRole::Supervisor, "dus-bilk").await;
    let id = app.register("ROLE-1", "0151 23456702", "1980-01-01", None).await;
    let unlock = format!("/api/v1/pickups/{id}/unlock");

    let mut clerk = Browser::new(&app);
    clerk.sign_in("anna", PASSWORD).await;
    let csrf = clerk.csrf().await;
    let refused = clerk.api(&unlock, Some(&csrf), json!({ "reason": "seen with ID" })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a clerk lifts no lockout: {}", refused.body);

    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let csrf = supervisor.csrf().await;
    let allowed = supervisor.api(&unlock, Some(&csrf), json!({ "reason": "seen with ID" })).await;
    assert_eq!(allowed.status, StatusCode::CONFLICT, "allowed, but nothing is locked: {}", allowed.body);
    assert!(allowed.body.contains("illegal_transition"), "{}", allowed.body);

    let mut other = Browser::new(&app);
    other.sign_in("bea", PASSWORD).await;
    assert!(
        !other.get("/staff").await.body.contains(&format!("/staff/boxes/{BOX}")),
        "another site's box is not listed"
    );
    assert_eq!(other.get(&format!("/staff/boxes/{BOX}")).await.status, StatusCode::NOT_FOUND);
    let listed = other
        .client
        .get(format!("{}/api/v1/boxes", app.base))
        .header(COOKIE, other.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.json::<serde_json::Value>().await.unwrap(), json!([]));
    let csrf = other.csrf().await;
    let refused = other.api(&unlock, Some(&csrf), json!({ "reason": "seen with ID" })).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "to a supervisor of another site the pickup is unknown, as one that does not exist: {}",
        refused.body
    );
    let pickup = other
        .client
        .get(format!("{}/api/v1/pickups/{id}", app.base))
        .header(COOKIE, other.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(pickup.status(), StatusCode::NOT_FOUND, "another site's pickup is unknown");
    app.stop().await;
}

#[tokio::test]
async fn a_clerk_registers_at_the_counter_and_loads_by_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("anna", PASSWORD).await;
    let csrf = browser.csrf().await;

    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("site", SITE),
        ("reference", "2026-004711"),
        ("document_kind", "id_card"),
        ("document_number", "L01X00T47"),
        ("phone", "0151 2345"),
        ("birth_date", "31.02.1980"),
        ("old_document_number", ""),
        ("language", "de"),
    ];
    let refused = browser.post("/staff/register", &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["phone-error", "birth_date-error"] {
        assert!(refused.body.contains(&format!("id=\"{field}\"")), "{field}: {}", refused.body);
    }
    assert!(!refused.body.contains("id=\"reference-error\""));
    assert!(refused.body.contains("value=\"2026-004711\""), "what was typed stays");
    assert_eq!(app.db.number("SELECT COUNT(*) FROM pickups").await, 0, "nothing half-registered");

    form[5] = ("phone", "0151 23456703");
    form[6] = ("birth_date", "12.08.1974");
    let done = browser.post("/staff/register", &form).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"register-done\""), "{}", done.body);
    let again = browser.post("/staff/register", &form).await;
    assert!(again.body.contains("schon angemeldet"), "a second registration is refused: {}", again.body);

    let load = format!("/staff/boxes/{BOX}/load");
    let unknown = browser.post(&load, &[("csrf", &csrf), ("number", "C01X00T47")]).await;
    assert!(unknown.body.contains("id=\"load-error\""), "{}", unknown.body);
    let opened = browser.post(&load, &[("csrf", &csrf), ("number", "l01x00t47")]).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(opened.body.contains("id=\"load-opened\"") && opened.body.contains("highlight"), "{}", opened.body);
    assert!(opened.body.contains("autofocus"), "the scan field is ready for the next document");
    let twice = browser.post(&load, &[("csrf", &csrf), ("number", "L01X00T47")]).await;
    assert!(twice.body.contains("id=\"load-error\""), "loaded already: {}", twice.body);
    let view = browser.get(&format!("/staff/boxes/{BOX}")).await;
    assert_eq!(view.body.matches("class=\"cell look-open").count(), 1, "the open door shows");

    // Registered before its new number was known: the case reference finds it at the load page.
    form[2] = ("reference", "2026-004712");
    form[4] = ("document_number", "");
    form[5] = ("phone", "0151 23456704");
    let done = browser.post("/staff/register", &form).await;
    assert!(done.body.contains("id=\"register-done\""), "{}", done.body);
    let too_long = "2026-".repeat(13);
    let neither = browser.post(&load, &[("csrf", &csrf), ("number", &too_long)]).await;
    assert!(neither.body.contains("weder eine Dokumentnummer"), "{}", neither.body);
    let by_reference = browser.post(&load, &[("csrf", &csrf), ("number", "2026-004712")]).await;
    assert!(by_reference.body.contains("id=\"load-opened\""), "{}", by_reference.body);
    assert!(by_reference.body.contains("für den Vorgang 2026-004712"), "whose compartment opened");
    let view = browser.get(&format!("/staff/boxes/{BOX}")).await;
    assert_eq!(view.body.matches("class=\"cell look-open").count(), 2, "both doors stand open");

    // A reference that is another waiting pickup's document number names two pickups: neither opens.
    form[2] = ("reference", "2026-004714");
    form[4] = ("document_number", "L01X00T49");
    form[5] = ("phone", "0151 23456707");
    assert!(browser.post("/staff/register", &form).await.body.contains("id=\"register-done\""));
    let called_off = app.register("L01X00T49", "0151 23456705", "1974-08-12", None).await;
    let two = browser.post(&load, &[("csrf", &csrf), ("number", "l01x00t49")]).await;
    assert!(two.body.contains("nichts wurde geöffnet"), "{}", two.body);
    // Once the one meant by its reference is called off, the scan loads the other.
    let (status, body) = app
        .post(&format!("/api/v1/pickups/{called_off}/cancel"), Some(&app.integration), json!({ "reason": "moved" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let scanned = browser.post(&load, &[("csrf", &csrf), ("number", "L01X00T49")]).await;
    assert!(scanned.body.contains("für den Vorgang 2026-004714"), "{}", scanned.body);
    // A pickup whose number is known is loaded by scanning the document, not by its reference.
    form[2] = ("reference", "2026-004713");
    form[4] = ("document_number", "L01X00T48");
    form[5] = ("phone", "0151 23456706");
    assert!(browser.post("/staff/register", &form).await.body.contains("id=\"register-done\""));
    let by_reference = browser.post(&load, &[("csrf", &csrf), ("number", "2026-004713")]).await;
    assert!(by_reference.body.contains("Dokument selbst scannen"), "{}", by_reference.body);
    let view = browser.get(&format!("/staff/boxes/{BOX}")).await;
    assert_eq!(view.body.matches("class=\"cell look-open").count(), 3, "the scanned one, nothing more");
    let audit = app.service.store().audit_entries(100).await.unwrap();
    assert!(audit.iter().any(|a| a.actor.starts_with("staff:stf_")), "the clerk is the actor in the audit log");
    app.stop().await;
}

#[tokio::test]
async fn uncollected_documents_are_withdrawn_and_lost_pins_reissued_from_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    let late = app.register("LATE-1", "0151 23456731", "1980-01-01", None).await;
    let late_compartment = app.deposit(&late).await;
    app.clock.advance(chrono::Duration::days(30));
    // A round that meets a concurrent write (the outbox marking the SMS sent) leaves the pickup to
    // the next round: run rounds until it has expired (a liveness bound).
    for _ in 0..50 {
        app.service.housekeeping().await.unwrap();
        if app.status(&late).await == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.status(&late).await, "expired");
    let lost = app.register("LOST-1", "0151 23456732", "1981-02-02", None).await;
    app.deposit(&lost).await;
    let old_pin = app.pin_for("+4915123456732").await;

    let mut clerk = Browser::new(&app);
    clerk.sign_in("anna", PASSWORD).await;
    let csrf = clerk.csrf().await;
    let lists = clerk.get(&format!("/staff/boxes/{BOX}/uncollected")).await;
    assert_eq!(lists.status, StatusCode::OK);
    let withdraw_table = &lists.body[lists.body.find("id=\"to-withdraw\"").unwrap()..];
    assert!(
        withdraw_table.contains("LATE-1")
            && !withdraw_table[..withdraw_table.find("</table>").unwrap()].contains("LOST-1")
    );
    let action = format!("/staff/boxes/{BOX}/pickups/{late}/withdraw");
    let unversioned = clerk.post(&action, &[("csrf", &csrf)]).await;
    assert!(unversioned.body.contains("nichts wurde getan"), "a form without its version: {}", unversioned.body);
    let form = withdraw_table.split(&format!("pickups/{late}/withdraw")).nth(1).expect("the form");
    let version = form.split("name=\"version\" value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap();
    let opened = clerk.post(&action, &[("csrf", &csrf), ("version", version)]).await;
    assert!(opened.body.contains("id=\"work-done\""), "{}", opened.body);
    app.close(late_compartment).await;
    app.wait_status(&late, "withdrawn").await;
    let audit = app.service.store().audit_entries(200).await.unwrap();
    let started = audit.iter().find(|a| a.action == "withdrawal_started" && a.object == late).expect("recorded");
    assert!(started.actor.starts_with("staff:stf_"), "who opened it: {}", started.actor);

    // A clerk finds the pickup but may not send a new PIN; a supervisor may, and the old one dies.
    let found = clerk.get(&format!("/staff/boxes/{BOX}/uncollected?reference=LOST-1")).await;
    assert!(found.body.contains("id=\"found\"") && found.body.contains("LOST-1"), "{}", found.body);
    assert!(!found.body.contains("reissue-pin"), "a clerk is not offered a supervisor's action");
    let reissue = format!("/staff/boxes/{BOX}/pickups/{lost}/reissue-pin");
    let now = app.service.pickup(&abholbox_core::ids::PickupId::parse(&lost).unwrap()).await.unwrap().version;
    let now = now.to_string();
    let fields = [("csrf", csrf.as_str()), ("version", now.as_str()), ("reason", "citizen called: SMS deleted")];
    let refused = clerk.post(&reissue, &fields).await;
    assert!(
        refused.body.contains("id=\"work-error\"") && refused.body.contains("Rolle"),
        "refused for the role: {}",
        refused.body
    );
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let csrf = supervisor.csrf().await;
    let no_reason = supervisor.post(&reissue, &[("csrf", &csrf), ("version", &now), ("reason", "")]).await;
    assert!(
        no_reason.body.contains("id=\"work-error\"") && no_reason.body.contains("Begründung"),
        "a reason is needed: {}",
        no_reason.body
    );
    let shown = supervisor.get(&format!("/staff/boxes/{BOX}/uncollected?reference=LOST-1")).await;
    let form = shown.body.split(&format!("pickups/{lost}/reissue-pin")).nth(1).expect("the form");
    let version = form.split("name=\"version\" value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap();
    let fields = [("csrf", csrf.as_str()), ("version", version), ("reason", "citizen called: SMS deleted")];
    let done = supervisor.post(&reissue, &fields).await;
    assert!(done.body.contains("id=\"work-done\""), "{}", done.body);
    assert!(!done.body.contains(&old_pin), "staff never see a PIN");
    let again = supervisor.post(&reissue, &fields).await;
    assert!(again.body.contains("id=\"work-error\"") && again.body.contains("nichts wurde getan"), "{}", again.body);
    let texts = app.sms_to("+4915123456732", 2).await;
    let new_pin = texts.iter().rev().find_map(|t| abholbox::bench::pin_in(t)).unwrap();
    assert_ne!(new_pin, old_pin);
    let (_, status, body) = app.authenticate("0151 23456732", &old_pin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the old PIN opens nothing: {body}");
    let (_, status, body) = app.authenticate("0151 23456732", &new_pin).await;
    assert_eq!((status, body["step"].as_str()), (StatusCode::OK, Some("birth_date")), "{body}");
    assert_eq!(app.sms_to("+4915123456732", 2).await.len(), 2, "the form sent twice sent one new PIN");

    // The citizen calls again: the number was mistyped all along. A supervisor corrects it.
    assert!(!found.body.contains("change-phone"), "a clerk is not offered the correction");
    let shown = supervisor.get(&format!("/staff/boxes/{BOX}/uncollected?reference=LOST-1")).await;
    let form = shown.body.split(&format!("pickups/{lost}/change-phone")).nth(1).expect("the correction's form");
    assert!(form.contains("name=\"phone\"") && form.contains("type=\"tel\""), "{form}");
    let version = form.split("name=\"version\" value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap();
    let correct = format!("/staff/boxes/{BOX}/pickups/{lost}/change-phone");
    let wrong_number = [("csrf", csrf.as_str()), ("version", version), ("phone", "0211 8993000"), ("reason", "typo")];
    let refused = supervisor.post(&correct, &wrong_number).await;
    assert!(
        refused.body.contains("id=\"work-error\"") && refused.body.contains("keine Handynummer"),
        "a landline is refused, saying why: {}",
        refused.body
    );
    let fields = [("csrf", csrf.as_str()), ("version", version), ("phone", "0151 23456733"), ("reason", "typo")];
    let done = supervisor.post(&correct, &fields).await;
    assert!(done.body.contains("id=\"work-done\"") && done.body.contains("berichtigt"), "{}", done.body);
    assert!(!done.body.contains("23456733"), "the page does not repeat the number");
    let corrected_pin = app.pin_for("+4915123456733").await;
    let (_, status, body) = app.authenticate("0151 23456733", &corrected_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_bin_is_emptied_by_two_and_a_wrong_count_is_recorded_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    member(&app, "bert", StaffRole::Clerk, SITE).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    let id = app.register("BIN-1", "0151 23456741", "1974-08-12", Some("T22000129")).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456741").await;
    let (session, _, _) = app.authenticate("0151 23456741", &pin).await;
    app.insert(&german_id("T22000129", "740812", "310101", "MUSTERMANN", "ERIKA")).await;
    app.wait_step(&session, "collect").await;
    app.close(compartment).await;
    app.wait_status(&id, "collected").await;

    let mut clerk = Browser::new(&app);
    clerk.sign_in("anna", PASSWORD).await;
    let csrf = clerk.csrf().await;
    let bin = format!("/staff/boxes/{BOX}/bin");
    let page = clerk.get(&bin).await;
    assert!(page.body.contains("T22000129") && page.body.contains(": 1"), "{}", page.body);
    let alone = clerk
        .post(
            &bin,
            &[("csrf", &csrf), ("after", "0"), ("counted", "1"), ("witness", "anna"), ("witness_password", PASSWORD)],
        )
        .await;
    assert!(alone.body.contains("id=\"bin-error\""), "nobody countersigns their own emptying: {}", alone.body);
    let wrong = clerk
        .post(
            &bin,
            &[
                ("csrf", &csrf),
                ("after", "0"),
                ("counted", "1"),
                ("witness", "bert"),
                ("witness_password", "wrong password here"),
            ],
        )
        .await;
    assert!(wrong.body.contains("id=\"bin-error\""), "{}", wrong.body);
    assert_eq!(app.db.number("SELECT COUNT(*) FROM bin_emptyings").await, 0, "nothing recorded yet");

    let form = [
        ("csrf", csrf.as_str()),
        ("after", "0"),
        ("counted", "2"),
        ("witness", "bert"),
        ("witness_password", PASSWORD),
    ];
    let emptied = clerk.post(&bin, &form).await;
    assert_eq!(emptied.status, StatusCode::SEE_OTHER, "{}", emptied.body);
    let again = clerk.post(&bin, &form).await;
    assert!(again.body.contains("id=\"bin-error\"") && again.body.contains("schon vermerkt"), "{}", again.body);
    assert_eq!(app.db.number("SELECT COUNT(*) FROM bin_emptyings").await, 1, "the form sent again records nothing");
    // The same form sent four times at once (a double click, a colleague) records one emptying.
    let newest = app.db.number("SELECT MAX(id) FROM bin_emptyings").await.to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("after", &newest),
        ("counted", "0"),
        ("witness", "bert"),
        ("witness_password", PASSWORD),
    ];
    let sends = (0..4).map(|_| {
        let request = clerk.client.post(format!("{}{bin}", app.base)).header(COOKIE, clerk.cookie_header()).form(&form);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(sends).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
    assert_eq!(app.db.number("SELECT COUNT(*) FROM bin_emptyings").await, 2, "one more, not four");
    let record_path = emptied.location.unwrap();
    let record = clerk.get(&record_path).await;
    assert!(record.body.contains("id=\"record-mismatch\""), "{}", record.body);
    assert!(record.body.contains("T22000129") && record.body.contains("bert") && record.body.contains("anna"));
    let site_name =
        app.service.store().sites().await.unwrap().into_iter().find(|s| s.id.as_str() == SITE).unwrap().name;
    assert!(record.body.contains(&format!("<dd>{site_name}</dd>")), "the site by its name: {}", record.body);
    let alarms = app.service.store().open_alarms().await.unwrap();
    assert!(alarms.iter().any(|a| a.kind == "bin_count_mismatch"), "{alarms:?}");
    let audit = app.service.store().audit_entries(50).await.unwrap();
    let entry = audit.iter().find(|a| a.action == "bin_emptied_count_mismatch").expect("audited");
    assert_eq!((entry.detail["counted"].as_u64(), entry.detail["expected"].as_u64()), (Some(2), Some(1)));
    assert!(!entry.detail.to_string().contains("T22000129"), "no document number in the audit log");
    let pdf = clerk
        .client
        .get(format!("{}{record_path}/pdf", app.base))
        .header(COOKIE, clerk.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.windows(9).any(|w| w == b"T22000129"), "the PDF lists the number");
    let after = clerk.get(&bin).await;
    assert!(!after.body.contains("<th scope=\"row\">T22000129"), "the bin starts empty again");
    let lists = format!("/staff/boxes/{BOX}/uncollected");
    let seen_by_clerk = clerk.get(&lists).await;
    assert!(seen_by_clerk.body.contains("data-alarm=\"bin_count_mismatch\""), "staff see the alarm");
    assert!(!seen_by_clerk.body.contains("/acknowledge"), "a clerk is not offered what only a supervisor may");
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let csrf = supervisor.csrf().await;
    let page = supervisor.get(&lists).await;
    let action = page
        .body
        .split("action=\"")
        .find(|a| a.contains("/acknowledge"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let done = supervisor.post(&action, &[("csrf", &csrf)]).await;
    assert!(done.body.contains("id=\"work-done\""), "{}", done.body);
    let alarms = app.service.store().open_alarms().await.unwrap();
    assert!(!alarms.iter().any(|a| a.kind == "bin_count_mismatch"), "acknowledged: {alarms:?}");
    app.stop().await;
}

#[tokio::test]
async fn supervisors_read_the_audit_log_and_admins_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    member(&app, "ida", StaffRole::Admin, SITE).await;
    let id = app.register("AUD-1", "0151 23456751", "1980-01-01", None).await;

    let mut clerk = Browser::new(&app);
    clerk.sign_in("anna", PASSWORD).await;
    assert_eq!(clerk.get("/staff/audit").await.status, StatusCode::FORBIDDEN, "a clerk reads no audit log");
    assert_eq!(clerk.get("/staff/admin/users").await.status, StatusCode::FORBIDDEN);
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let log = supervisor.get(&format!("/staff/audit?about={id}")).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("registered") && log.body.contains(&id), "{}", log.body);
    let rows = |body: &str| body.matches("<tr").count();
    let by_box = supervisor.get(&format!("/staff/audit?about={BOX}")).await;
    let by_object = supervisor.get(&format!("/staff/audit?about=box:{BOX}")).await;
    assert!(by_box.body.contains("box_changed"), "the box's own entries: {}", by_box.body);
    assert_eq!(rows(&by_object.body), rows(&by_box.body), "box:{BOX} as the log writes it reads the same");
    for about in [SITE.to_owned(), format!("site:{SITE}")] {
        let by_site = supervisor.get(&format!("/staff/audit?about={about}")).await;
        assert!(by_site.body.contains(&id), "all that is about the site ({about}): {}", by_site.body);
    }
    let by_anna = supervisor.get("/staff/audit?actor=anna").await;
    assert!(!by_anna.body.contains(">registered<"), "{}", by_anna.body);
    assert!(
        !by_anna.body.contains("staff_signed_in"),
        "sign-ins belong to the installation's part of the log, not a site's: {}",
        by_anna.body
    );
    assert_eq!(supervisor.get("/staff/audit?day=31.13.2026").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stray = supervisor.get("/staff/audit?before=abc").await;
    assert_eq!(stray.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stray.body.contains("Diese Seitenangabe gibt es nicht"), "said on the log's page: {}", stray.body);
    let blank = supervisor.get("/staff/audit?about=&actor=&day=&before=").await;
    assert_eq!(blank.status, StatusCode::OK, "an empty filter is no filter: {}", blank.body);
    // What the layers around the pages refuse is a page in the member's language too, not the API's JSON.
    for (path, status, says) in [
        ("/staff/audit?about=a&about=b", StatusCode::BAD_REQUEST, "nicht gelesen werden"),
        ("/staff/nowhere", StatusCode::NOT_FOUND, "Nicht gefunden"),
        ("/staff/sign-out", StatusCode::METHOD_NOT_ALLOWED, "nicht direkt aufrufen"),
    ] {
        let page = supervisor.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(page.body.contains("<h1>Nicht möglich</h1>") && page.body.contains(says), "{path}: {}", page.body);
    }

    let mut admin = Browser::new(&app);
    admin.sign_in("ida", PASSWORD).await;
    let twice = admin.post("/staff/register", &[("csrf", "a"), ("csrf", "b")]).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("Feld doppelt"), "a field sent twice is said on a page: {}", twice.body);
    let whole = admin.get("/staff/audit?actor=anna").await;
    assert!(whole.body.contains("staff_signed_in"), "an admin reads the whole log: {}", whole.body);
    let csrf = admin.csrf().await;
    let made = admin
        .post(
            "/staff/admin/users",
            &[("csrf", &csrf), ("name", "neu.kollege"), ("role", "clerk"), ("sites", SITE), ("password", PASSWORD)],
        )
        .await;
    assert!(made.body.contains("id=\"admin-done\""), "{}", made.body);
    let changed = admin
        .post("/staff/admin/users/anna", &[("csrf", &csrf), ("role", "clerk"), ("sites", SITE), ("disabled", "yes")])
        .await;
    assert!(changed.body.contains("id=\"admin-done\""), "{}", changed.body);
    assert_eq!(clerk.get("/staff").await.status, StatusCode::SEE_OTHER, "a disabled account's session ends at once");
    let own = admin.post("/staff/admin/users/ida", &[("csrf", &csrf), ("role", "clerk"), ("sites", SITE)]).await;
    assert!(own.body.contains("id=\"admin-error\""), "no admin demotes themselves: {}", own.body);
    assert!(own.body.contains("ändert ein anderer Admin"), "said in the page's language: {}", own.body);
    let weak = admin
        .post(
            "/staff/admin/users",
            &[("csrf", &csrf), ("name", "lena"), ("role", "clerk"), ("sites", SITE), ("password", "lena-lena-lena-1")],
        )
        .await;
    assert!(
        weak.body.contains("Passwort: darf den Anmeldenamen nicht enthalten"),
        "the broken rule in the page's language: {}",
        weak.body
    );
    let token =
        admin.post("/staff/admin/tokens", &[("csrf", &csrf), ("role", "integration"), ("label", "registry")]).await;
    let secret = token.body.split("id=\"token-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let (status, _) = app.get("/api/v1/boxes", Some(&secret)).await;
    assert_eq!(status, StatusCode::OK, "the new token works");
    let made = token.body.split("id=\"token-made\"").nth(1).unwrap();
    let token_id: String =
        made[made.find("tok_").unwrap()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let second = admin
        .post(
            "/staff/admin/tokens",
            &[("csrf", &csrf), ("role", "kiosk"), ("box", BOX), ("panel", "b"), ("label", "right panel")],
        )
        .await;
    let made = second.body.split("id=\"token-made\"").nth(1).unwrap();
    let second_id: String =
        made[made.find("tok_").unwrap()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let row = second.body.split(&format!("<tr data-token=\"{second_id}\">")).nth(1).unwrap();
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains(&format!("<td>{BOX} / b</td>")), "a kiosk token for the box's second panel: {row}");
    let stray = admin
        .post(
            "/staff/admin/tokens",
            &[("csrf", &csrf), ("role", "kiosk"), ("box", BOX), ("panel", "zz"), ("label", "x")],
        )
        .await;
    assert!(stray.body.contains("Bedienfeld: gibt es nicht"), "a panel of another box is named: {}", stray.body);
    let registry = admin
        .post("/staff/admin/tokens", &[("csrf", &csrf), ("role", "integration"), ("box", BOX), ("panel", "b")])
        .await;
    assert!(registry.body.contains("id=\"token-made\""), "the panel, like the box, is a kiosk's: {}", registry.body);
    admin.post(&format!("/staff/admin/tokens/{token_id}/revoke"), &[("csrf", &csrf)]).await;
    let (status, _) = app.get("/api/v1/boxes", Some(&secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once");
    app.stop().await;
}

#[tokio::test]
async fn four_eyes_confirm_loadings_and_service_openings_and_a_service_opening_is_no_forced_door() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let site = json!({ "name": "Dienstleistungszentrum", "address": "Willi-Becker-Allee 7", "four_eyes": true });
    let (status, body) = app.put(&format!("/api/v1/admin/sites/{SITE}"), Some(&app.admin), site).await;
    assert_eq!((status, body["four_eyes"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    member(&app, "bert", StaffRole::Clerk, SITE).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    let id = app.register_raw("EYES-1", "0151 23456761", "1980-01-01", None, false).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut clerk = Browser::new(&app);
    clerk.sign_in("anna", PASSWORD).await;
    let csrf = clerk.csrf().await;
    let load = format!("/staff/boxes/{BOX}/load");
    let form = clerk.get(&load).await;
    assert!(form.body.contains("id=\"witness\""), "the page asks for the second person");

    let (status, body) =
        app.post(&format!("/api/v1/boxes/{BOX}/deposits"), Some(&app.integration), json!({ "pickup": id })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("second_person_needed")),
        "no second person can confirm a token's loading: {body}"
    );
    app.db.execute(&format!("UPDATE pickups SET document_number = 'L01X00T61' WHERE id = '{id}'")).await;
    let first = clerk
        .post(&load, &[("csrf", &csrf), ("number", "L01X00T61"), ("witness", "bert"), ("witness_password", PASSWORD)])
        .await;
    assert!(first.body.contains("id=\"load-opened\""), "{}", first.body);
    let c = app.pickup(&id).await["compartment"].as_u64().unwrap();
    app.close(c).await;
    app.wait_status(&id, "ready").await;

    let second = app.register("EYES-2", "0151 23456762", "1980-01-01", None).await;
    let number = "L01X00T62";
    app.db.execute(&format!("UPDATE pickups SET document_number = '{number}' WHERE id = '{second}'")).await;
    let alone = clerk.post(&load, &[("csrf", &csrf), ("number", number)]).await;
    assert!(alone.body.contains("id=\"load-error\""), "{}", alone.body);
    let herself = clerk
        .post(&load, &[("csrf", &csrf), ("number", number), ("witness", "anna"), ("witness_password", PASSWORD)])
        .await;
    assert!(herself.body.contains("id=\"load-error\""), "nobody confirms their own loading");
    assert_eq!(app.status(&second).await, "awaiting_deposit", "nothing opened");
    let confirmed = clerk
        .post(&load, &[("csrf", &csrf), ("number", number), ("witness", "bert"), ("witness_password", PASSWORD)])
        .await;
    assert!(confirmed.body.contains("id=\"load-opened\""), "{}", confirmed.body);

    // A supervisor looks into the first document's compartment: expected, not forced.
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let csrf = supervisor.csrf().await;
    let open = format!("/staff/boxes/{BOX}/compartments/{c}/open");
    let refused = supervisor.post(&open, &[("csrf", &csrf), ("reason", "check the lock")]).await;
    assert!(refused.body.contains("id=\"compartment-error\""), "four eyes here too: {}", refused.body);
    let opened = supervisor
        .post(
            &open,
            &[("csrf", &csrf), ("reason", "check the lock"), ("witness", "anna"), ("witness_password", PASSWORD)],
        )
        .await;
    assert!(opened.body.contains("id=\"compartment-done\""), "{}", opened.body);
    app.close(c).await;
    // Door events are applied after the call that caused them: wait (a liveness bound, no timing).
    let mut audit = Vec::new();
    for _ in 0..200 {
        audit = app.service.store().audit_entries(100).await.unwrap();
        if audit.iter().any(|a| a.action == "service_door_closed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    for action in ["service_opening", "service_door_opened", "service_door_closed"] {
        assert!(audit.iter().any(|a| a.action == action), "{action} recorded");
    }
    let page = supervisor.get(&format!("/staff/boxes/{BOX}/compartments/{c}")).await;
    assert!(page.body.contains("id=\"history\"") && page.body.contains("EYES-1"), "{}", page.body);
    let alarms = app.service.store().open_alarms().await.unwrap();
    assert!(!alarms.iter().any(|a| a.kind == "door_forced"), "a service opening is no forced door: {alarms:?}");
    assert_eq!(app.status(&id).await, "ready", "the document still waits for its citizen");
    app.stop().await;
}

#[tokio::test]
async fn a_page_that_refreshes_itself_keeps_nobody_signed_in_and_odd_language_targets_go_home() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("anna", PASSWORD).await;
    app.clock.advance(chrono::Duration::minutes(40));
    let refresh = browser
        .client
        .get(format!("{}/staff/boxes/{BOX}", app.base))
        .header(COOKIE, browser.cookie_header())
        .header("x-abholbox-refresh", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::OK, "still signed in after 40 minutes");
    app.clock.advance(chrono::Duration::minutes(30));
    assert_eq!(
        browser.get("/staff").await.status,
        StatusCode::SEE_OTHER,
        "an hour without a person's click ends the session, whatever the map refreshed"
    );

    for back in ["/staff\n", "/staff\r\nSet-Cookie: x=y", "//evil.example", "https://evil.example"] {
        let answer = browser.post("/staff/language", &[("lang", "en"), ("back", back)]).await;
        assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::SEE_OTHER, Some("/staff")), "{back:?}");
    }
    app.stop().await;
}

/// A box added through the admin API runs no driver until the server starts again: staff loading
/// it are told so, not that a compartment failed and was blocked.
#[tokio::test]
async fn a_box_added_at_run_time_says_it_is_connected_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "anna", StaffRole::Clerk, SITE).await;
    let layout = json!({ "site": SITE, "name": "Box Wersten", "panels": [{ "id": "front", "reader_slot": 1 }],
                         "modules": [{ "name": "A", "rows": 2, "columns": 2, "reach_rows": [1] }] });
    let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), layout).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = app.register("2026-W-1", "0151 23456705", "1974-08-12", None).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("anna", PASSWORD).await;
    let csrf = browser.csrf().await;
    let refused = browser.post("/staff/boxes/w-1/load", &[("csrf", &csrf), ("number", "2026-W-1")]).await;
    assert!(refused.body.contains("id=\"load-error\"") && refused.body.contains("nächsten Start"), "{}", refused.body);
    assert!(!refused.body.contains("Es ist gesperrt"), "no compartment was blocked: {}", refused.body);
    assert_eq!(app.status(&id).await, "awaiting_deposit");
    app.stop().await;
}

/// A document locked after wrong PINs that then expired is to be taken out: the list does not ask
/// staff to lift a lock that no longer matters (nor offers it).
#[tokio::test]
async fn an_expired_locked_document_is_listed_to_withdraw_without_the_locks_advice() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    member(&app, "sven", StaffRole::Supervisor, SITE).await;
    let id = app.register("LX-1", "0151 23456706", "1974-08-12", None).await;
    app.deposit(&id).await;
    let pickup_id = abholbox_core::ids::PickupId::parse(&id).unwrap();
    let mut tx = app.service.store().begin().await.unwrap();
    let mut pickup = tx.pickup(&pickup_id).await.unwrap().unwrap();
    pickup.locked = true;
    pickup.attention = Some(abholbox_core::pickup::Attention::LockedAfterWrongPins);
    pickup.status = abholbox_core::pickup::PickupStatus::Expired;
    assert!(tx.update_pickup(&pickup).await.unwrap());
    tx.commit().await.unwrap();

    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sven", PASSWORD).await;
    let page = supervisor.get(&format!("/staff/boxes/{BOX}/uncollected")).await;
    let line = page.body.split("data-reference=\"LX-1\"").nth(1).expect("listed").split("</tr>").next().unwrap();
    assert!(line.contains("/withdraw\""), "to be taken out: {line}");
    assert!(!line.contains("Sperre aufheben") && !line.contains("unlock"), "{line}");
    app.stop().await;
}
