//! The outbox worker against a real SQLite store: a crash between sending and recording sends the
//! same message again, never a different PIN, and a gateway that fails is retried with backoff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{ready_pickup, world};

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use abholbox_core::pickup::Attention;
use abholbox_service::Principal;
use abholbox_service::clock::Clock;
use abholbox_service::outbox::OutboxRound;
use abholbox_sms::{Accepted, DeliveryReport, DemoGateway, OutgoingSms, SmsError, SmsGateway};
use abholbox_store::{DeliveryState, Store};
use async_trait::async_trait;
use chrono::Duration;

/// A pickup's messages but the reminder, which waits for its day.
async fn sent_now(w: &common::World, pickup: &abholbox_core::ids::PickupId) -> Vec<abholbox_store::OutboxStatus> {
    let all = w.store.outbox_for_pickup(pickup).await.unwrap();
    assert_eq!(all.last().map(|m| (m.purpose.as_str(), m.state)), Some(("reminder", DeliveryState::Queued)));
    all.into_iter().filter(|m| m.purpose != "reminder").collect()
}

/// A gateway that accepts, but whose acknowledgement is lost: the worker "crashes" after sending.
struct LostAck(DemoGateway);

#[async_trait]
impl SmsGateway for LostAck {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
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
    let status = sent_now(&w, &pickup).await;
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
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        if self.failures_left.load(Ordering::SeqCst) > 0 {
            self.failures_left.fetch_sub(1, Ordering::SeqCst);
            return Err(SmsError::Temporary("throttled".into()));
        }
        self.sent.lock().unwrap().push(sms.text.clone());
        Ok(Accepted { gateway: "primary".into(), gateway_id: "gw-1".into() })
    }
}

#[tokio::test]
async fn a_failing_gateway_is_retried_with_growing_waits() {
    let mut w = world().await;
    ready_pickup(&mut w).await;
    let flaky = Flaky { failures_left: AtomicU32::new(2), sent: Mutex::new(Vec::new()) };
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Retrying);
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "not before the backoff");
    w.clock.advance(Duration::seconds(4));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "the first wait is at least 5 s");
    w.clock.advance(Duration::seconds(3));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Retrying, "and at most 6 s");
    w.clock.advance(Duration::seconds(9));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Empty, "the second wait is at least 10 s");
    w.clock.advance(Duration::seconds(4));
    assert_eq!(w.service.send_next(&flaky).await.unwrap(), OutboxRound::Sent);
    assert_eq!(flaky.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn cancelling_drops_the_pin_that_has_not_gone_out() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert!(status[0].holds_content && status[0].sent_at.is_none(), "queued, not sent: no worker runs here");
    w.service.cancel(&Principal::Host, &pickup, "citizen collected at the counter").await.unwrap();
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!((status[0].holds_content, status[0].dropped_at.is_some()), (false, true));
    let gateway = DemoGateway::new();
    assert_eq!(w.service.send_next(&gateway).await.unwrap(), OutboxRound::Empty);
    assert!(gateway.inbox().is_empty(), "the PIN of a called-off pickup never goes out");
}

/// Hands the message to the demo inbox, then hangs: the worker is killed while it waits for the
/// gateway's answer, after the message went out and before anything was recorded.
struct HangsAfterSending(Arc<DemoGateway>, Mutex<Vec<(String, String)>>);

#[async_trait]
impl SmsGateway for HangsAfterSending {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        self.1.lock().unwrap().push((sms.message_id.clone(), sms.text.clone()));
        self.0.send(sms).await?;
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_worker_killed_between_send_and_acknowledgement_neither_loses_nor_doubles_the_message() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    let inbox = Arc::new(DemoGateway::new());
    let hangs = Arc::new(HangsAfterSending(inbox.clone(), Mutex::new(Vec::new())));
    let worker = {
        let (service, hangs) = (w.service.clone(), hangs.clone());
        tokio::spawn(async move { service.send_next(hangs.as_ref()).await })
    };
    assert_eq!(inbox.wait_for("+4915123456790", 1, std::time::Duration::from_secs(10)).await.len(), 1);
    worker.abort();
    assert!(worker.await.unwrap_err().is_cancelled(), "killed mid-send");
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!((status[0].state, status[0].holds_content), (DeliveryState::Queued, true), "not lost");
    assert_eq!(w.service.send_next(inbox.as_ref()).await.unwrap(), OutboxRound::Empty, "the dead worker's lease holds");
    w.clock.advance(Duration::seconds(61));
    let again = Arc::new(HangsAfterSending(inbox.clone(), Mutex::new(Vec::new())));
    let resent = {
        let (service, again) = (w.service.clone(), again.clone());
        tokio::spawn(async move { service.send_next(again.as_ref()).await })
    };
    for _ in 0..500 {
        if !again.1.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    resent.abort();
    assert_eq!(*again.1.lock().unwrap(), *hangs.1.lock().unwrap(), "the same message id and text (the same PIN)");
    w.clock.advance(Duration::seconds(61));
    assert_eq!(w.service.send_next(inbox.as_ref()).await.unwrap(), OutboxRound::Sent);
    assert_eq!(inbox.inbox().len(), 1, "one message arrives: the gateway knows its id");
    let status = sent_now(&w, &pickup).await;
    assert_eq!((status.len(), status[0].state, status[0].holds_content), (1, DeliveryState::Accepted, false));
}

/// Answers every message the same way.
struct Always(SmsError);

#[async_trait]
impl SmsGateway for Always {
    async fn send(&self, _: &OutgoingSms) -> Result<Accepted, SmsError> {
        Err(self.0.clone())
    }
}

#[tokio::test]
async fn a_message_refused_for_good_is_given_up_at_once_and_its_pickup_flagged() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    let refusing = Always(SmsError::Permanent("SMSC status 0x0b".into()));
    assert_eq!(w.service.send_next(&refusing).await.unwrap(), OutboxRound::GivenUp);
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!((status[0].state, status[0].holds_content), (DeliveryState::Failed, false));
    assert_eq!(status[0].last_error.as_deref(), Some("refused: SMSC status 0x0b"));
    let p = w.store.pickup(&pickup).await.unwrap().unwrap();
    assert_eq!(p.attention, Some(Attention::SmsNotDeliverable));
    let kinds: Vec<String> = w.store.events_of_pickup(&pickup).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"sms_not_deliverable".to_owned()), "{kinds:?}");
    w.clock.advance(Duration::hours(2));
    assert_eq!(w.service.send_next(&DemoGateway::new()).await.unwrap(), OutboxRound::Empty, "never tried again");
}

#[tokio::test]
async fn a_message_nobody_accepts_is_retried_for_24_hours_then_given_up() {
    let mut w = world().await;
    let pickup = ready_pickup(&mut w).await;
    let down = Always(SmsError::Temporary("connection refused".into()));
    let start = w.clock.now();
    let mut rounds = Vec::new();
    while w.clock.now() - start < Duration::hours(26) {
        let round = w.service.send_next(&down).await.unwrap();
        if round != OutboxRound::Empty {
            rounds.push((w.clock.now() - start, round));
        }
        w.clock.advance(Duration::minutes(10));
    }
    let (given_up_at, last) = rounds.last().copied().unwrap();
    assert_eq!(last, OutboxRound::GivenUp);
    assert!((Duration::hours(24)..Duration::hours(25)).contains(&given_up_at), "{given_up_at}");
    assert!(rounds[..rounds.len() - 1].iter().all(|(_, r)| *r == OutboxRound::Retrying), "{rounds:?}");
    assert!(rounds.len() > 10, "retried all along: {}", rounds.len());
    let status = w.store.outbox_for_pickup(&pickup).await.unwrap();
    assert_eq!(status[0].state, DeliveryState::Failed);
    assert!(status[0].last_error.as_deref().unwrap().contains("within 24 h"));
    assert_eq!(w.store.pickup(&pickup).await.unwrap().unwrap().attention, Some(Attention::SmsNotDeliverable));
}

#[tokio::test]
async fn delivery_reports_mark_messages_delivered_or_failed() {
    let mut w = world().await;
    let first = ready_pickup(&mut w).await;
    let inbox = DemoGateway::new();
    assert_eq!(w.service.send_next(&inbox).await.unwrap(), OutboxRound::Sent);
    let gateway_id = format!("demo-{}", inbox.inbox()[0].id.trim_start_matches("demo-"));
    let delivered = DeliveryReport {
        gateway: "demo".into(),
        gateway_id: Some(gateway_id.clone()),
        message_id: None,
        delivered: true,
        detail: "DELIVRD".into(),
    };
    assert!(w.service.delivery_report(&delivered).await.unwrap());
    assert!(!w.service.delivery_report(&delivered).await.unwrap(), "a repeated receipt changes nothing");
    let status = w.store.outbox_for_pickup(&first).await.unwrap();
    assert_eq!((status[0].state, status[0].gateway.as_deref()), (DeliveryState::Delivered, Some("demo")));
    let failed = DeliveryReport { delivered: false, detail: "UNDELIV".into(), ..delivered.clone() };
    assert!(!w.service.delivery_report(&failed).await.unwrap(), "a late failure does not undo a delivery");
    let unknown = DeliveryReport { gateway_id: Some("demo-unknown".into()), ..failed };
    assert!(!w.service.delivery_report(&unknown).await.unwrap(), "a receipt for no message of ours");
    assert_eq!(w.store.pickup(&first).await.unwrap().unwrap().attention, None);
}
