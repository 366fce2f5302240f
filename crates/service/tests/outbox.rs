//! The outbox worker against a real SQLite store: a crash between sending and recording sends the
//! same message again, never a different PIN, and a gateway that fails is retried with backoff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{ready_pickup, world};

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use abholbox_service::Actor;
use abholbox_service::clock::Clock;
use abholbox_service::outbox::OutboxRound;
use abholbox_sms::{DemoGateway, OutgoingSms, SmsError, SmsGateway};
use abholbox_store::Store;
use async_trait::async_trait;
use chrono::Duration;

/// A gateway that accepts, but whose acknowledgement is lost: the worker "crashes" after sending.
struct LostAck(DemoGateway);

#[async_trait]
impl SmsGateway for LostAck {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SmsError> {
        self.0.send(sms).await?;
        Err(SmsError::Temporary("connection lost before the answer".into()))
    }
}

#[tokio::test]
async fn a_message_sent_but_not_recorded_is_sent_again_unchanged_and_arrives_once() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    // A worker leases the message and dies before recording anything.
    let leased = w.store.lease_outbox(w.clock.now(), w.clock.now() + Duration::seconds(60)).await.unwrap().unwrap();
    let gateway = DemoGateway::new();
    assert_eq!(w.service.send_next(&gateway).await.unwrap(), OutboxRound::Empty, "the lease holds");
    w.clock.advance(Duration::seconds(61));
    let lost = LostAck(DemoGateway::new());
    assert_eq!(w.service.send_next(&lost).await.unwrap(), OutboxRound::Retrying);
    w.clock.advance(Duration::seconds(40));
    assert_eq!(w.service.send_next(&lost).await.unwrap(), OutboxRound::Retrying);
    w.clock.advance(Duration::hours(2));
    assert_eq!(w.service.send_next(&lost.0).await.unwrap(), OutboxRound::Sent);
    let inbox = lost.0.inbox();
    assert_eq!(inbox.len(), 1, "one message per idempotency key reaches the phone");
    assert!(leased.sealed.key_id.starts_with("data-"), "stored sealed: {:?}", leased.sealed);
    assert!(!String::from_utf8_lossy(&leased.sealed.bytes).contains("PIN"), "no text in the clear");
    assert!(inbox[0].text.contains("PIN ") && inbox[0].text.contains("Bürgerbüro Mitte"), "{}", inbox[0].text);
    assert!(inbox[0].text.starts_with("Belgeniz (kimlik kartı)"), "in the citizen's language: {}", inbox[0].text);
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!((status.len(), status[0].holds_content, status[0].attempts), (1, false, 4));
    assert_eq!(w.service.send_next(&gateway).await.unwrap(), OutboxRound::Empty);
}

/// Fails a number of times, then accepts.
struct Flaky {
    failures_left: AtomicU32,
    sent: Mutex<Vec<String>>,
}

#[async_trait]
impl SmsGateway for Flaky {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SmsError> {
        if self.failures_left.load(Ordering::SeqCst) > 0 {
            self.failures_left.fetch_sub(1, Ordering::SeqCst);
            return Err(SmsError::Temporary("throttled".into()));
        }
        self.sent.lock().unwrap().push(sms.text.clone());
        Ok("gw-1".into())
    }
}

#[tokio::test]
async fn a_failing_gateway_is_retried_with_growing_waits() {
    let mut w = world().await;
    ready_pickup(&mut w).await;
    let flaky = Flaky { failures_left: AtomicU32::new(2), sent: Mutex::new(Vec::new()) };
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Retrying);
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "not before the backoff");
    w.clock.advance(Duration::seconds(9));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "the first wait is at least 10 s");
    w.clock.advance(Duration::seconds(4));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Retrying);
    w.clock.advance(Duration::seconds(19));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "the second wait is at least 20 s");
    w.clock.advance(Duration::seconds(6));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Sent);
    assert_eq!(flaky.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn cancelling_drops_the_pin_that_has_not_gone_out() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert!(status[0].holds_content && status[0].sent_at.is_none(), "queued, not sent: no worker runs here");
    w.service.cancel(&Actor::System, &pickup, "citizen collected at the counter").await.unwrap();
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!((status[0].holds_content, status[0].dropped_at.is_some()), (false, true));
    let gateway = DemoGateway::new();
    assert_eq!(w.service.send_next(&gateway).await.unwrap(), OutboxRound::Empty);
    assert!(gateway.inbox().is_empty(), "the PIN of a called-off pickup never goes out");
}
