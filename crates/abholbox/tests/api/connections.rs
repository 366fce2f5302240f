//! Connections that hold the server without finishing a request are cut off.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// Waits until the server closes the connection; returns how long after `start` that was, or `None`
/// if it was not within `limit`.
async fn closed_within(mut stream: TcpStream, start: Instant, limit: Duration) -> Option<Duration> {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn half_sent_requests_are_cut_off_and_one_client_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.http.header_read_timeout_seconds = 1;
        c.http.max_connections_per_client = 20;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..30 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: box\r\nX-Slow: ").await.unwrap();
        slow.push(s);
    }
    let start = Instant::now();
    let mut waits = tokio::task::JoinSet::new();
    for s in slow {
        waits.spawn(closed_within(s, start, Duration::from_secs(5)));
    }
    let mut refused = 0;
    let mut cut_off = Vec::new();
    while let Some(closed) = waits.join_next().await {
        match closed.unwrap() {
            Some(t) if t < Duration::from_millis(500) => refused += 1,
            Some(t) => cut_off.push(t),
            None => panic!("a half-sent request is still open after 5 s"),
        }
    }
    assert_eq!(refused, 10, "beyond 20 connections from one address, one more is refused at once");
    assert_eq!(cut_off.len(), 20);
    assert!(cut_off.iter().all(|t| *t >= Duration::from_millis(700)), "cut off by the header timeout: {cut_off:?}");
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, reqwest::StatusCode::OK, "served again once they are gone: {body}");
    app.stop().await;
}

/// One request over a raw connection; the whole answer as text.
async fn raw_request<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(stream: S) -> String {
    raw_get(stream, "/healthz").await
}

async fn raw_get<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn every_answer_carries_headers_that_forbid_loading_framing_and_referrers() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    for path in ["/healthz", "/api/v1/nowhere"] {
        let response = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(h.get("strict-transport-security").is_none(), "not over plain HTTP: {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn with_a_certificate_it_serves_https_and_nothing_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.key_pair.serialize_pem()).unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.http.tls_certificate_file = Some(cert_file.clone());
        c.http.tls_key_file = Some(key_file.clone());
    })
    .await;
    let addr = app.base.trim_start_matches("https://").to_owned();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.expect("the TLS handshake succeeds");
    let answer = raw_request(tls).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("\r\nstrict-transport-security: max-age=31536000\r\n"),
        "over TLS the browser is told to keep to it: {answer}"
    );
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let tls = connector.connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let form = raw_get(tls, "/staff/sign-in").await;
    let cookie = form.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap_or_default();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "over TLS a cookie travels only so: {cookie}");

    let answer = raw_request(TcpStream::connect(&addr).await.unwrap()).await;
    assert!(!answer.contains("HTTP/1.1 200"), "no answer in the clear: {answer}");
    app.stop().await;
}

#[tokio::test]
async fn one_address_sending_without_pause_is_slowed_and_answered_in_the_error_format() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.http.requests_per_second_per_client = 5).await;
    let mut answers = Vec::new();
    for _ in 0..30 {
        let (status, body) = app.get("/healthz", None).await;
        answers.push((status, body["error"]["code"].as_str().map(str::to_owned)));
    }
    let limited = answers.iter().filter(|(s, _)| *s == reqwest::StatusCode::TOO_MANY_REQUESTS).count();
    assert!(answers[..10].iter().all(|(s, _)| s.is_success()), "a burst of twice the rate passes: {answers:?}");
    assert!(limited >= 15, "the rest is limited: {answers:?}");
    assert!(answers.iter().any(|(_, code)| code.as_deref() == Some("too_many_requests")));
    let refused = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    let h = refused.headers();
    assert!(h.contains_key("retry-after") && h.contains_key("content-security-policy"), "{h:?}");
    assert_eq!(h["x-frame-options"], "DENY");
    // A gateway reports on many messages from one address at once; each report has its own token.
    for n in 0..30 {
        let (status, _) = app.get(&format!("/api/v1/sms/reports/kannel?message=m{n}&token=00&type=1"), None).await;
        assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "checked by its token, not refused by the limit");
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (status, _) = app.get("/healthz", None).await;
    assert!(status.is_success(), "the allowance refills");
    app.stop().await;
}

/// A loading whose client leaves the moment it has sent the request still opens its compartment: a
/// write runs to its end, so no compartment is left reserved behind a closed door.
#[tokio::test]
async fn a_loading_whose_client_leaves_at_once_still_opens_its_door() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    for n in 0..5 {
        let id = app.register(&format!("LEAVE-{n}"), &format!("0151 2345691{n}"), "1970-01-01", None).await;
        let body = serde_json::json!({ "pickup": id }).to_string();
        let request = format!(
            "POST /api/v1/boxes/{}/deposits HTTP/1.1\r\nHost: box\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            crate::helpers::BOX,
            app.integration,
            body.len()
        );
        let mut client = TcpStream::connect(&addr).await.unwrap();
        client.write_all(request.as_bytes()).await.unwrap();
        drop(client);
        let mut door = None;
        for _ in 0..150 {
            let pickup = app.pickup(&id).await;
            if let Some(c) = pickup["compartment"].as_u64()
                && app.sim_box().await["open_doors"].as_array().unwrap().contains(&c.into())
            {
                door = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pickup = app.pickup(&id).await;
        let c = door.unwrap_or_else(|| panic!("loading {n}: no open door for {pickup}"));
        assert_eq!(pickup["status"], "depositing");
        app.close(c).await;
        app.wait_status(&id, "ready").await;
    }
    app.stop().await;
}
