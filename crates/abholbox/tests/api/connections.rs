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
