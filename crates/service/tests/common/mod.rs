//! A service over a real SQLite store with one simulated box, shared by the service's tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

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
use abholbox_service::pickups::Registration;
use abholbox_service::secrets::KeyRing;
use abholbox_service::setup::{BoxSpec, PanelSpec, SiteSpec};
use abholbox_service::{Policy, Principal, Service};
use abholbox_store::Store;
use abholbox_store_sqlite::SqliteStore;
use chrono::Utc;
use tokio::sync::mpsc;

pub struct World {
    pub service: Service,
    pub store: SqliteStore,
    pub clock: Arc<ManualClock>,
    pub reports: mpsc::Receiver<abholbox_box::BoxReport>,
    pub sim: Arc<SimulatedBox>,
    _dir: tempfile::TempDir,
}

/// The default rules, but SMS at any hour: these tests run on the wall clock, at any time of day.
pub fn policy() -> Policy {
    let mut policy = Policy::default();
    policy.sms.quiet_hours = None;
    policy
}

pub async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    let keys = KeyRing::load_or_create(&dir.path().join("keys.json")).unwrap();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let box_id = BoxId::parse("b1").unwrap();
    let (tx, reports) = mpsc::channel(64);
    let slot = SlotNo::new(1).unwrap();
    let now_of = clock.clone();
    let sink = abholbox_box::ReportSink::new(box_id.clone(), tx, Arc::new(move || now_of.now()));
    let sim = Arc::new(SimulatedBox::new(sink, 600, &[slot]));
    let mut drivers: HashMap<BoxId, Arc<dyn BoxDriver>> = HashMap::new();
    drivers.insert(box_id.clone(), sim.clone());
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let clock_dyn: Arc<dyn Clock> = clock.clone();
    let service = Service::new(shared, clock_dyn, keys, drivers, Arc::new(Messages::load().unwrap()), policy());
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
                four_eyes: false,
                counter_phone: None,
                pin_letter_kinds: Vec::new(),
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

/// An ID card pickup at site `s1`, collected with the birth date.
pub fn registration(reference: &str) -> Registration {
    let today = Utc::now().date_naive();
    Registration {
        reference: reference.into(),
        site: SiteId::parse("s1").unwrap(),
        document_kind: DocumentKind::IdCard,
        document_number: None,
        phone: PhoneNumber::parse_mobile("0151 23456790").unwrap(),
        birth_date: BirthDate::parse("1980-01-01", today).unwrap(),
        old_document_number: None,
        language: Language::Tr,
        low_compartment: false,
    }
}

/// Registers, loads and closes the door: one ready pickup with one SMS in the outbox.
pub async fn ready_pickup(w: &mut World) -> abholbox_core::ids::PickupId {
    let reg = registration("O-1");
    let actor = Principal::Host;
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
    assert_eq!(w.service.apply_pending_box_events().await.unwrap(), 0, "both applied as they were stored");
    assert_eq!(w.service.pickup(&pickup.id).await.unwrap().status.as_str(), "ready");
    pickup.id
}
