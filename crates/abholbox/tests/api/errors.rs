//! Bad input gets a clear error in the one format, and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{SITE, TestApp};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

#[tokio::test]
async fn tokens_are_checked_and_roles_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (status, body) = app.get("/api/v1/sites", None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (status, body) = app.get("/api/v1/sites", Some("abx_nonsense")).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (status, body) = app.get("/api/v1/sites", Some(&app.kiosk)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, body) = app.post("/api/v1/kiosk/sessions", Some(&app.integration), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

    let (record, token) = app
        .service
        .create_token(&abholbox_service::Principal::Host, abholbox_store::Role::Integration, None, None, "spare")
        .await
        .unwrap();
    assert_eq!(app.get("/api/v1/sites", Some(&token)).await.0, StatusCode::OK);
    app.service.revoke_token(&abholbox_service::Principal::Host, &record.id).await.unwrap();
    let (status, body) = app.get("/api/v1/sites", Some(&token)).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"), "a revoked token is refused at once");
    assert!(app.service.revoke_token(&abholbox_service::Principal::Host, &record.id).await.is_err(), "revoked once");
    assert_eq!(app.get("/api/v1/sites", Some(&app.integration)).await.0, StatusCode::OK, "other tokens still work");
    app.stop().await;
}

#[tokio::test]
async fn registration_names_the_field_that_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let good = json!({
        "reference": "E-1", "site": SITE, "document_kind": "passport", "document_number": "C01X00T47",
        "phone": "0151 23456720", "birth_date": "1980-05-05", "old_document_number": null, "language": "en",
        "low_compartment": false,
    });
    for (field, value, want) in [
        ("phone", json!("0211 8991"), "invalid_phone"),
        ("phone", json!("hello"), "invalid_phone"),
        ("birth_date", json!("05.05.1980"), "invalid_birth_date"),
        ("birth_date", json!("2999-01-01"), "invalid_birth_date"),
        ("document_kind", json!("driving_licence"), "invalid_document_kind"),
        ("document_number", json!("ÄÖÜ"), "invalid_document_number"),
        ("old_document_number", json!("x"), "invalid_old_document_number"),
        ("language", json!("fr"), "invalid_language"),
        ("reference", json!(""), "invalid_reference"),
        ("site", json!("nowhere"), "unknown_reference"),
        ("reference", json!("E-1\u{200B}"), "invalid_reference"),
        ("reference", json!("E-\u{202E}1-K"), "invalid_reference"),
        ("reference", json!("E\t1"), "invalid_reference"),
        ("phone", json!(15123456720u64), "invalid_request"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let (status, answer) = app.post("/api/v1/pickups", Some(&app.integration), body).await;
        assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, want), "{field}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap_or_default().is_empty());
    }
    let as_array: Vec<Value> = good.as_object().unwrap().values().cloned().collect();
    let (status, answer) = app.post("/api/v1/pickups", Some(&app.integration), json!(as_array)).await;
    assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"), "{answer}");
    let (status, created) = app.post("/api/v1/pickups", Some(&app.integration), good.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["third_factor"], "birth_date");
    let (status, body) = app.post("/api/v1/pickups", Some(&app.integration), good.clone()).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "duplicate_reference"));
    let mut same_number = good.clone();
    same_number["reference"] = json!("E-2");
    let (status, body) = app.post("/api/v1/pickups", Some(&app.integration), same_number).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "duplicate_document_number"));
    app.stop().await;
}

#[tokio::test]
async fn malformed_requests_answer_in_the_error_format() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    assert_eq!(
        not_json(&app, "/api/v1/pickups", &app.integration).await,
        (StatusCode::BAD_REQUEST, "invalid_json".into())
    );
    let big = "x".repeat(200_000);
    let (status, body) = app.post("/api/v1/pickups", Some(&app.integration), json!({ "reference": big })).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    // The same body in chunks, its length unannounced: the same answer when the limit is met.
    let host = app.base.trim_start_matches("http://").to_owned();
    let mut request = format!(
        "POST /api/v1/pickups HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        app.integration
    )
    .into_bytes();
    for chunk in json!({ "reference": big }).to_string().as_bytes().chunks(8192) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = raw(&app, request).await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"), "{body}");
    // Kiosk bodies: not JSON, JSON of the wrong shape, a field no step takes; each named as at /pickups.
    let (status, session) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let session = session["session"].as_str().unwrap().to_owned();
    for (path, body, want) in [
        ("/api/v1/kiosk/sessions".to_owned(), json!({ "language": 5 }), "invalid_request"),
        ("/api/v1/kiosk/sessions".to_owned(), json!([]), "invalid_request"),
        ("/api/v1/kiosk/sessions".to_owned(), json!({ "language": "en", "x": 1 }), "invalid_request"),
        (
            format!("/api/v1/kiosk/sessions/{session}/phone"),
            json!({ "phone": "0151 23456720", "x": 1 }),
            "invalid_request",
        ),
        (format!("/api/v1/kiosk/sessions/{session}/phone"), json!({ "phone": 15123456720u64 }), "invalid_request"),
        // An array is read by serde as a struct's fields in order; no client means that.
        ("/api/v1/kiosk/sessions".to_owned(), json!(["en"]), "invalid_request"),
        (format!("/api/v1/kiosk/sessions/{session}/phone"), json!(["0151 23456720"]), "invalid_request"),
        (format!("/api/v1/kiosk/sessions/{session}/phone"), json!(["0151 23456720", "x"]), "invalid_request"),
    ] {
        let (status, answer) = app.post(&path, Some(&app.kiosk), body.clone()).await;
        assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, want), "{path} {body}: {answer}");
        assert!(!answer.to_string().contains("15123456720"), "the value stays out of the answer: {answer}");
    }
    assert_eq!(
        not_json(&app, "/api/v1/kiosk/sessions", &app.kiosk).await,
        (StatusCode::BAD_REQUEST, "invalid_json".into())
    );
    // A language must come as JSON; no body at all, whatever its type, starts in German.
    for (body, want) in [("{\"language\":\"en\"}", StatusCode::UNSUPPORTED_MEDIA_TYPE), ("", StatusCode::CREATED)] {
        let answer = app
            .client
            .post(format!("{}/api/v1/kiosk/sessions", app.base))
            .bearer_auth(&app.kiosk)
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), want, "{body:?}");
    }
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.get("/api/v1/pickups/pu_00000000000000000000000000000000", Some(&app.integration)).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.get("/api/v1/pickups/../../etc", Some(&app.integration)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app.get("/api/v1/kiosk/sessions/ks_nope", Some(&app.kiosk)).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    app.stop().await;
}

#[tokio::test]
async fn deposits_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("E-3", "0151 23456721", "1980-05-05", None).await;
    let path = "/api/v1/boxes/dlz-1/deposits";
    let (status, body) = app.post(path, Some(&app.integration), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_pickup"));
    let (status, body) = app.post(path, Some(&app.integration), json!({ "document_number": "C01X00T47" })).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_reference"));
    let (status, body) = app.post("/api/v1/boxes/nope/deposits", Some(&app.integration), json!({ "pickup": id })).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    app.deposit(&id).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "illegal_transition"), "a document is loaded once");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let (status, spec) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/pickups",
        "/api/v1/pickups/{id}",
        "/api/v1/boxes/{box}/deposits",
        "/api/v1/sites",
        "/api/v1/boxes",
        "/api/v1/kiosk/sessions",
        "/api/v1/kiosk/sessions/{id}",
        "/api/v1/kiosk/sessions/{id}/phone",
        "/api/v1/kiosk/sessions/{id}/pin",
        "/api/v1/kiosk/sessions/{id}/birth-date",
        "/api/v1/sim/boxes/{box}/reader",
        "/api/v1/sim/boxes/{box}/compartments/{compartment}/close",
        "/api/v1/sim/sms",
        "/healthz",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{method} {path}: its id twice"
            );
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                assert!(!r["description"].as_str().unwrap_or_default().is_empty(), "{method} {path} {status}");
            }
            let with_token = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let wanted: &[&str] = match (with_token, op["requestBody"].is_object()) {
                (true, true) => &["401", "403", "400", "413", "415", "422", "500", "503"],
                (true, false) => &["401", "403", "500", "503"],
                (false, true) => &["400", "413", "415", "422", "500", "503"],
                (false, false) => &["500", "503"],
            };
            for status in wanted {
                assert!(responses.contains_key(*status), "{method} {path} lists no {status}");
            }
        }
    }
    let kinds = &spec["components"]["schemas"]["PickupEventView"]["properties"]["kind"]["enum"];
    assert_eq!(
        kinds.as_array().unwrap().len(),
        abholbox_core::pickup::EventKind::ALL.len(),
        "the event names come from the core's vocabulary: {kinds}"
    );
    let register = &spec["components"]["schemas"]["RegisterPickup"]["properties"];
    for field in [
        "reference",
        "site",
        "document_kind",
        "document_number",
        "phone",
        "birth_date",
        "old_document_number",
        "language",
        "low_compartment",
    ] {
        assert!(register[field].is_object(), "{field} missing");
    }
    app.stop().await;
}

/// Posts a body that is not JSON; the answer's status and code.
async fn not_json(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let answer = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = answer.status();
    (status, code(&answer.json::<Value>().await.unwrap()).to_owned())
}

/// Sends raw bytes and returns the answer's status and body, for what a well-behaved client never sends.
async fn raw(app: &TestApp, request: Vec<u8>) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // A server may answer and close before it has read all of an oversized request.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer).to_string();
            if n == 0 || text.find("\r\n\r\n").is_some_and(|at| text.ends_with('}') && at > 0) {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "answered at once: {}", String::from_utf8_lossy(&answer));
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::String(text.clone())))
}

#[tokio::test]
async fn every_error_has_the_one_shape_even_where_no_handler_answers() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let resp = app.client.delete(format!("{}/api/v1/sites", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "GET,HEAD", "the allowed methods are still named");
    assert_eq!(code(&resp.json::<Value>().await.unwrap()), "method_not_allowed");

    let (status, body) = app.get(&format!("/api/v1/sites?{}", "q".repeat(10_000)), Some(&app.integration)).await;
    assert_eq!((status, code(&body)), (StatusCode::URI_TOO_LONG, "uri_too_long"));

    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    assert_eq!(raw(&app, long.into_bytes()).await.1["error"]["code"], "uri_too_long", "hyper's own refusal");
    for bad in [
        &b"POST /api/v1/pickups HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
        b"POST /api/v1/pickups HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
    ] {
        let (status, body) = raw(&app, bad.to_vec()).await;
        assert_eq!((status, code(&body)), (400, "bad_request"), "{}", String::from_utf8_lossy(bad));
    }
    let mut many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..500 {
        many.extend_from_slice(format!("X-{i}: {}\r\n", "a".repeat(1000)).as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let (status, body) = raw(&app, many).await;
    assert_eq!((status, code(&body)), (431, "headers_too_large"));

    // A body announced over the limit is refused at once, without waiting for a byte of it.
    let announced = format!(
        "POST /api/v1/pickups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000000\r\n\r\n",
        app.integration
    );
    let (status, body) = raw(&app, announced.into_bytes()).await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"));
    app.stop().await;
}
