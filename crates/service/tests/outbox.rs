//! The outbox worker against a real SQLite store: a crash between sending and recording sends the
//! same message again, never a different PIN, and a gateway that fails is retried with backoff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use abholbox_box::{BoxDriver, SimulatedBox};
use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, PanelId, SiteId, SlotNo};
use abholbox_core::language::Language;
use abholbox_core::layout::default_modules;
use abholbox_core::personal::BirthDate;
use abholbox_core::phone::PhoneNumber;
use abholbox_messages::Messages;
use abholbox_service::clock::{Clock, ManualClock};
use abholbox_service::deposits::DepositTarget;
use abholbox_service::outbox::OutboxRound;
use abholbox_service::pickups::Registration;
use abholbox_service::secrets::KeyRing;
use abholbox_service::setup::{BoxSpec, PanelSpec, SiteSpec};
use abholbox_service::{Actor, Policy, Service};
use abholbox_sms::{DemoGateway, OutgoingSms, SmsError, SmsGateway};
use abholbox_store::Store;
use abholbox_store_sqlite::SqliteStore;
use async_trait::async_trait;
use chrono::{Duration, Utc};
use tokio::sync::mpsc;

struct World {
    service: Service,
    store: SqliteStore,
    clock: Arc<ManualClock>,
    reports: mpsc::Receiver<abholbox_box::BoxReport>,
    sim: Arc<SimulatedBox>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    let keys = KeyRing::load_or_create(&dir.path().join("keys.json")).unwrap();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let box_id = BoxId::parse("b1").unwrap();
    let (tx, reports) = mpsc::channel(64);
    let slot = SlotNo::new(1).unwrap();
    let sim = Arc::new(SimulatedBox::new(box_id.clone(), 600, &[slot], tx));
    let mut drivers: HashMap<BoxId, Arc<dyn BoxDriver>> = HashMap::new();
    drivers.insert(box_id.clone(), sim.clone());
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let clock_dyn: Arc<dyn Clock> = clock.clone();
    let service =
        Service::new(shared, clock_dyn, keys, drivers, Arc::new(Messages::load().unwrap()), Policy::default());
    let site = SiteId::parse("s1").unwrap();
    service
        .apply_setup(
            &[SiteSpec {
                id: site.clone(),
                name: "Bürgerbüro Mitte".into(),
                address: "Markt 1".into(),
                time_zone: "Europe/Berlin".into(),
                opening_hours: None,
                holiday_state: "NW".into(),
                open_24_7: false,
            }],
            &[BoxSpec {
                id: box_id,
                site,
                name: "Box".into(),
                driver: "simulated".into(),
                modules: default_modules(),
                panels: vec![PanelSpec { id: PanelId::parse("p").unwrap(), reader_slot: slot }],
            }],
        )
        .await
        .unwrap();
    World { service, store, clock, reports, sim, _dir: dir }
}

/// Registers, loads and closes the door: one ready pickup with one SMS in the outbox.
async fn ready_pickup(w: &mut World) -> abholbox_core::ids::PickupId {
    let today = w.clock.now().date_naive();
    let reg = Registration {
        reference: "O-1".into(),
        site: SiteId::parse("s1").unwrap(),
        document_kind: DocumentKind::IdCard,
        document_number: None,
        phone: PhoneNumber::parse_mobile("0151 23456790").unwrap(),
        birth_date: BirthDate::parse("1980-01-01", today).unwrap(),
        old_document_number: None,
        language: Language::Tr,
        low_compartment: false,
    };
    let actor = Actor::System;
    let pickup = w.service.register(&actor, reg).await.unwrap();
    let started = w
        .service
        .start_deposit(&actor, &BoxId::parse("b1").unwrap(), DepositTarget::Pickup(pickup.id.clone()))
        .await
        .unwrap();
    let opened = w.reports.recv().await.unwrap();
    w.service.take_report(opened).await;
    w.sim.close_door(started.compartment).await.unwrap();
    let closed = w.reports.recv().await.unwrap();
    w.service.take_report(closed).await;
    assert_eq!(w.service.apply_pending_box_events().await.unwrap(), 2, "opened, then closed");
    assert_eq!(w.service.pickup(&pickup.id).await.unwrap().status.as_str(), "ready");
    pickup.id
}

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
    assert_eq!(inbox[0].text, leased.body, "the same text, the same PIN");
    assert!(inbox[0].text.contains("PIN: ") && inbox[0].text.contains("Bürgerbüro Mitte"), "{}", inbox[0].text);
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
