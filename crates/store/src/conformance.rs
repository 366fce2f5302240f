//! What every storage backend must do, written once against the trait.
//!
//! Each function takes a fresh, empty store and panics on a violation; a backend's test suite calls
//! every one of them (see `store-sqlite/tests/conformance.rs`), so SQLite and PostgreSQL are held to
//! the same behaviour by changing one URL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use abholbox_core::compartment::{Candidate, CompartmentState, Defect, SizeClass};
use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, PickupId, SessionId, SiteId, SlotNo};
use abholbox_core::kiosk::{SessionState, Step};
use abholbox_core::language::Language;
use abholbox_core::personal::ThirdFactor;
use abholbox_core::pickup::{Attention, PickupStatus};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use crate::{
    BoxRecord, DeliveryState, DoorMove, KeyedHash, MessageRef, NewAuditEntry, NewBoxEvent, NewCompartment, NewEvent,
    NewOutboxMessage, PanelRecord, PersonalRecord, PickupRecord, PinHash, Rule, Sealed, SealedRow, SealedTable,
    SessionRecord, SiteRecord, Store, StoreError,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn site() -> SiteId {
    SiteId::parse("site-1").unwrap()
}

fn the_box() -> BoxId {
    BoxId::parse("box-1").unwrap()
}

fn no(n: u32) -> CompartmentNo {
    CompartmentNo::new(n).unwrap()
}

fn id(n: u8) -> PickupId {
    PickupId::from_random([n; 16])
}

fn panel(n: u32) -> PanelRecord {
    PanelRecord {
        box_id: the_box(),
        id: PanelId::parse(&format!("panel-{n}")).unwrap(),
        reader_slot: SlotNo::new(n).unwrap(),
    }
}

/// A site with one box of `compartments` small compartments, the odd ones within reach, and two panels.
async fn furnish(store: &dyn Store, compartments: u32) {
    let mut tx = store.begin().await.unwrap();
    tx.upsert_site(&SiteRecord {
        id: site(),
        name: "Site".into(),
        address: "Street 1".into(),
        time_zone: "Europe/Berlin".into(),
        opening_hours: Some("Mo-Fr 08:00-16:00; PH off".into()),
        holiday_state: "NW".into(),
        four_eyes: false,
        open_24_7: false,
        counter_phone: Some("0211 89-0".into()),
        pin_letter_kinds: vec![abholbox_core::document::DocumentKind::IdCard],
    })
    .await
    .unwrap();
    let cs: Vec<NewCompartment> = (1..=compartments)
        .map(|n| NewCompartment {
            number: no(n),
            label: format!("A-{n:03}"),
            module: "A".into(),
            row: 1,
            column: n,
            size: SizeClass::S,
            within_reach: n % 2 == 1,
        })
        .collect();
    let b = BoxRecord { id: the_box(), site: site(), name: "Box".into(), driver: "simulated".into() };
    tx.upsert_box(&b, &cs, &[panel(1), panel(2)]).await.unwrap();
    tx.commit().await.unwrap();
}

fn pickup(n: u8, reference: &str) -> PickupRecord {
    PickupRecord {
        id: id(n),
        reference: reference.into(),
        site: site(),
        document_kind: DocumentKind::Passport,
        document_number: None,
        third_factor: ThirdFactor::BirthDate,
        language: Language::Uk,
        low_compartment: true,
        status: PickupStatus::AwaitingDeposit,
        box_id: None,
        compartment: None,
        locked: false,
        failed_pin_attempts: 0,
        failed_third_factor_attempts: 0,
        claimed_by: None,
        claimed_at: None,
        door_opened_at: None,
        phone_hash: Some(KeyedHash { key_id: "lookup-1".into(), hash: vec![n; 32] }),
        pin: None,
        ready_at: None,
        deadline: None,
        collected_at: None,
        withdrawal_started_at: None,
        attention: None,
        handled_by: None,
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

/// Sealed bytes as the service would write them; the store keeps them without reading them.
fn sealed(key: &str, n: u8) -> Sealed {
    Sealed { key_id: key.into(), bytes: vec![n, 0, 0xff, n] }
}

fn personal(n: u8) -> PersonalRecord {
    PersonalRecord { pickup: id(n), sealed: sealed("data-1", n) }
}

async fn insert(store: &dyn Store, p: &PickupRecord) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_pickup(p, &PersonalRecord { pickup: p.id.clone(), ..personal(0) }).await.unwrap();
    tx.commit().await.unwrap();
}

/// Every field of a pickup and its personal data comes back as written.
pub async fn pickups_round_trip(store: &dyn Store) {
    furnish(store, 4).await;
    let p = every_field_set(pickup(1, "R-1"));
    let mut tx = store.begin().await.unwrap();
    tx.insert_pickup(&p, &personal(1)).await.unwrap();
    assert_eq!(tx.pickup(&p.id).await.unwrap().as_ref(), Some(&p), "read within the transaction");
    tx.commit().await.unwrap();
    assert_eq!(store.pickup(&p.id).await.unwrap(), Some(p.clone()));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.personal_data(&p.id).await.unwrap(), Some(personal(1)));
    assert_eq!(tx.pickup_in_compartment(&the_box(), no(3)).await.unwrap().map(|x| x.id), Some(p.id.clone()));
    assert_eq!(tx.pickup_by_reference(&site(), "R-1").await.unwrap().map(|x| x.id), Some(p.id.clone()));
    assert_eq!(tx.pickup_by_document_number(&site(), "C01X00T47").await.unwrap().map(|x| x.id), Some(p.id.clone()));
}

/// An update writes every field that changed, to a value and back to none, and nothing else.
pub async fn every_field_of_a_pickup_updates(store: &dyn Store) {
    furnish(store, 4).await;
    let plain = pickup(1, "R-1");
    insert(store, &plain).await;
    let full = every_field_set(plain.clone());
    let mut tx = store.begin().await.unwrap();
    assert!(tx.update_pickup(&full).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.pickup(&plain.id).await.unwrap(), Some(PickupRecord { version: 2, ..full.clone() }));
    let mut tx = store.begin().await.unwrap();
    assert!(tx.update_pickup(&PickupRecord { version: 2, ..plain.clone() }).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.pickup(&plain.id).await.unwrap(), Some(PickupRecord { version: 3, ..plain.clone() }));
    let mut tx = store.begin().await.unwrap();
    assert!(tx.update_pickup(&PickupRecord { version: 3, ..plain.clone() }).await.unwrap(), "nothing changed");
    tx.commit().await.unwrap();
    assert_eq!(store.pickup(&plain.id).await.unwrap().map(|p| p.version), Some(4));
}

/// A pickup with each field that may be empty filled, each other field moved from [`pickup`]'s.
fn every_field_set(mut p: PickupRecord) -> PickupRecord {
    p.document_number = Some("C01X00T47".into());
    p.status = PickupStatus::Ready;
    p.box_id = Some(the_box());
    p.compartment = Some(no(3));
    p.locked = true;
    p.failed_pin_attempts = 5;
    p.failed_third_factor_attempts = 4;
    p.withdrawal_started_at = Some(t0() + Duration::seconds(4));
    p.claimed_by = Some(SessionId::from_random([9; 16]));
    p.claimed_at = Some(t0() + Duration::microseconds(1));
    p.door_opened_at = Some(t0() + Duration::seconds(2));
    p.pin = Some(PinHash { key_id: "pin-1".into(), salt: vec![1; 16], hash: vec![2; 32] });
    p.ready_at = Some(t0());
    p.deadline = Some(t0() + Duration::days(10));
    p.collected_at = Some(t0() + Duration::seconds(3));
    p.attention = Some(Attention::HandoverUnconfirmed);
    p.handled_by = Some("staff-1".into());
    p.document_kind = DocumentKind::IdCard;
    p.third_factor = ThirdFactor::OldDocument;
    p.language = Language::De;
    p.low_compartment = !p.low_compartment;
    p.phone_hash = Some(KeyedHash { key_id: "lookup-2".into(), hash: vec![0xee; 32] });
    p.updated_at = t0() + Duration::seconds(5);
    p
}

/// A write that names a version someone else already changed loses, and says so.
pub async fn a_stale_write_loses(store: &dyn Store) {
    furnish(store, 1).await;
    let p = pickup(1, "R-1");
    insert(store, &p).await;
    let mut tx = store.begin().await.unwrap();
    let mut first = p.clone();
    first.failed_pin_attempts = 1;
    assert!(tx.update_pickup(&first).await.unwrap());
    let mut stale = p.clone();
    stale.failed_pin_attempts = 2;
    assert!(!tx.update_pickup(&stale).await.unwrap(), "version 1 was already replaced");
    tx.commit().await.unwrap();
    let stored = store.pickup(&p.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.failed_pin_attempts), (2, 1));
}

/// Uniqueness rules answer with the rule's name; finished pickups free their document number.
pub async fn duplicates_are_named_conflicts(store: &dyn Store) {
    furnish(store, 2).await;
    let mut a = pickup(1, "R-1");
    a.document_number = Some("C01X00T47".into());
    insert(store, &a).await;
    let mut tx = store.begin().await.unwrap();
    let same_reference = pickup(2, "R-1");
    assert!(matches!(
        tx.insert_pickup(&same_reference, &personal(2)).await,
        Err(StoreError::Conflict(Rule::PickupReference))
    ));
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let mut same_number = pickup(3, "R-3");
    same_number.document_number = Some("C01X00T47".into());
    assert!(matches!(
        tx.insert_pickup(&same_number, &personal(3)).await,
        Err(StoreError::Conflict(Rule::PickupDocumentNumber))
    ));
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let mut done = a.clone();
    done.status = PickupStatus::Collected;
    assert!(tx.update_pickup(&done).await.unwrap());
    tx.insert_pickup(&same_number, &personal(3)).await.unwrap();
    tx.commit().await.unwrap();
}

/// Two pickups never share a compartment, whatever the code above asks.
pub async fn one_compartment_holds_one_document(store: &dyn Store) {
    furnish(store, 2).await;
    let mut a = pickup(1, "R-1");
    a.box_id = Some(the_box());
    a.compartment = Some(no(1));
    insert(store, &a).await;
    let mut b = pickup(2, "R-2");
    b.box_id = Some(the_box());
    b.compartment = Some(no(1));
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(tx.insert_pickup(&b, &personal(2)).await, Err(StoreError::Conflict(Rule::CompartmentHoldsOne))));
}

/// A compartment changes state only from the state the caller expects.
pub async fn compartment_states_move_conditionally(store: &dyn Store) {
    furnish(store, 3).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.free_compartments(&the_box(), None).await.unwrap().len(), 3);
    let few = |free: Vec<Candidate>| free.iter().map(|c| c.number.get()).collect::<Vec<_>>();
    assert_eq!(few(tx.free_compartments(&the_box(), Some(1)).await.unwrap()), vec![1, 2], "the first of each reach");
    assert!(
        tx.set_compartment_state(&the_box(), no(2), CompartmentState::Free, CompartmentState::Reserved).await.unwrap()
    );
    assert!(
        !tx.set_compartment_state(&the_box(), no(2), CompartmentState::Free, CompartmentState::Reserved).await.unwrap()
    );
    let free = tx.free_compartments(&the_box(), None).await.unwrap();
    assert_eq!(few(free.clone()), vec![1, 3]);
    assert!(free[0].within_reach && !free.iter().any(|c| c.number == no(2)));
    assert_eq!(few(tx.free_compartments(&the_box(), Some(1)).await.unwrap()), vec![1], "none out of reach is free");
    assert_eq!(few(tx.free_compartments(&the_box(), Some(2)).await.unwrap()), vec![1, 3]);
    tx.commit().await.unwrap();
    let c = store.compartment(&the_box(), no(2)).await.unwrap().unwrap();
    assert_eq!((c.state, c.label.as_str(), c.pickup), (CompartmentState::Reserved, "A-002", None));
    assert_eq!(store.compartments(&the_box()).await.unwrap().len(), 3);
}

/// Re-applying a box's configuration keeps what its compartments hold, and never changes one that
/// holds something.
pub async fn setup_again_keeps_compartment_state(store: &dyn Store) {
    furnish(store, 2).await;
    let mut tx = store.begin().await.unwrap();
    tx.set_compartment_state(&the_box(), no(1), CompartmentState::Free, CompartmentState::Occupied).await.unwrap();
    let b = tx.box_record(&the_box()).await.unwrap().unwrap();
    let moved: Vec<NewCompartment> = (1..=2)
        .map(|n| NewCompartment {
            number: no(n),
            label: format!("Z-{n:03}"),
            module: "Z".into(),
            row: 9,
            column: n,
            size: SizeClass::L,
            within_reach: false,
        })
        .collect();
    tx.upsert_box(&b, &moved, &[panel(1)]).await.unwrap();
    let after = tx.compartments(&the_box()).await.unwrap();
    assert_eq!((after[0].label.as_str(), after[0].size), ("A-001", SizeClass::S), "the occupied one is left as it was");
    assert_eq!((after[1].label.as_str(), after[1].size), ("Z-002", SizeClass::L), "a free one takes the new layout");
    tx.commit().await.unwrap();
    furnish(store, 3).await;
    let all = store.compartments(&the_box()).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.state).collect::<Vec<_>>(),
        vec![CompartmentState::Occupied, CompartmentState::Free, CompartmentState::Free]
    );
    let sites = store.sites().await.unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(
        (sites[0].opening_hours.as_deref(), sites[0].holiday_state.as_str(), sites[0].open_24_7),
        (Some("Mo-Fr 08:00-16:00; PH off"), "NW", false)
    );
    assert_eq!(store.boxes().await.unwrap().len(), 1);
}

/// A new layout may hand a label from one free compartment to another in either direction: labels
/// are unique per box, and a compartment written first must not collide with one written later.
pub async fn labels_move_between_free_compartments(store: &dyn Store) {
    furnish(store, 3).await;
    let b = store.boxes().await.unwrap().remove(0);
    let layout = |first: u32| -> Vec<NewCompartment> {
        (1..=3)
            .map(|n| NewCompartment {
                number: no(n),
                label: format!("A-{:03}", n + first - 1),
                module: "A".into(),
                row: 1,
                column: n,
                size: SizeClass::S,
                within_reach: true,
            })
            .collect()
    };
    for first in [0, 1, 3, 1] {
        let mut tx = store.begin().await.unwrap();
        tx.upsert_box(&b, &layout(first), &[panel(1)]).await.unwrap();
        tx.commit().await.unwrap();
        let labels: Vec<String> = store.compartments(&the_box()).await.unwrap().into_iter().map(|c| c.label).collect();
        assert_eq!(labels, layout(first).into_iter().map(|c| c.label).collect::<Vec<_>>(), "starting at {first}");
    }
}

/// A layout that gives the label of a compartment in use to another one is a named conflict, not a
/// database error: on PostgreSQL a loading can take the compartment between a layout change's check
/// and its write, and the change is then done again and refused by name.
pub async fn a_label_kept_by_a_compartment_in_use_is_a_named_conflict(store: &dyn Store) {
    furnish(store, 2).await;
    let mut tx = store.begin().await.unwrap();
    tx.set_compartment_state(&the_box(), no(1), CompartmentState::Free, CompartmentState::Occupied).await.unwrap();
    tx.commit().await.unwrap();
    let b = store.boxes().await.unwrap().remove(0);
    let swapped: Vec<NewCompartment> = (1..=2)
        .map(|n| NewCompartment {
            number: no(n),
            label: format!("A-{:03}", 3 - n),
            module: "A".into(),
            row: 1,
            column: n,
            size: SizeClass::S,
            within_reach: true,
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    let refused = tx.upsert_box(&b, &swapped, &[panel(1)]).await;
    assert!(matches!(refused, Err(StoreError::Conflict(Rule::CompartmentLabel))), "{refused:?}");
}

/// A transaction dropped without commit leaves nothing behind.
pub async fn an_uncommitted_transaction_leaves_nothing(store: &dyn Store) {
    furnish(store, 1).await;
    let p = pickup(1, "R-1");
    {
        let mut tx = store.begin().await.unwrap();
        tx.insert_pickup(&p, &personal(1)).await.unwrap();
        tx.append_event(&NewEvent { pickup: p.id.clone(), kind: "registered", at: t0(), data: json!({}) })
            .await
            .unwrap();
    }
    assert_eq!(store.pickup(&p.id).await.unwrap(), None);
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
}

/// Erasure takes the personal data row, the phone hash and the PIN material; the record stays.
pub async fn erasure_removes_what_is_personal(store: &dyn Store) {
    furnish(store, 1).await;
    let mut p = pickup(1, "R-1");
    p.pin = Some(PinHash { key_id: "pin-1".into(), salt: vec![1; 16], hash: vec![2; 32] });
    insert(store, &p).await;
    let mut tx = store.begin().await.unwrap();
    tx.erase_personal_data(&p.id, None).await.unwrap();
    assert_eq!(tx.personal_data(&p.id).await.unwrap(), None);
    tx.commit().await.unwrap();
    let stored = store.pickup(&p.id).await.unwrap().unwrap();
    assert_eq!((stored.phone_hash, stored.pin, stored.reference.as_str()), (None, None, "R-1"));
}

/// Ended pickups lose their reference and document number after a while, then go with their
/// events; pickups still waiting are not touched, however old.
pub async fn ended_pickups_are_pseudonymised_then_deleted(store: &dyn Store) {
    furnish(store, 1).await;
    let mut ended = pickup(1, "R-ENDED");
    ended.status = PickupStatus::Collected;
    ended.document_number = Some("T22000129".into());
    insert(store, &ended).await;
    let mut waiting = pickup(2, "R-WAITING");
    waiting.status = PickupStatus::Ready;
    waiting.box_id = Some(the_box());
    waiting.compartment = Some(no(1));
    insert(store, &waiting).await;
    let mut tx = store.begin().await.unwrap();
    tx.append_event(&NewEvent { pickup: id(1), kind: "handed_over", at: t0(), data: json!({}) }).await.unwrap();
    let later = t0() + Duration::days(400);
    assert_eq!(tx.pseudonymise_ended(t0(), later, 10).await.unwrap(), 0, "not before its time");
    assert_eq!(tx.pseudonymise_ended(later, later, 10).await.unwrap(), 1);
    assert_eq!(tx.pseudonymise_ended(later, later, 10).await.unwrap(), 0, "once");
    let p = tx.pickup(&id(1)).await.unwrap().unwrap();
    assert_eq!((p.reference, p.document_number), (format!("pseudonymised-{}", id(1)), None));
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.delete_ended(t0(), 10).await.unwrap(), 0);
    assert_eq!(tx.delete_ended(later, 10).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(store.pickup(&id(1)).await.unwrap().is_none());
    assert!(store.events_of_pickup(&id(1)).await.unwrap().is_empty(), "its events went with it");
    assert_eq!(store.pickup(&id(2)).await.unwrap().map(|p| p.reference), Some("R-WAITING".into()));
}

/// A key rotation finds what is not under the new key, replaces it only where it is unchanged, and
/// moves phone lookups (with the family's PIN) to the new lookup key.
pub async fn sealed_values_move_to_a_new_key(store: &dyn Store) {
    furnish(store, 2).await;
    for n in [1, 2] {
        let mut p = pickup(n, &format!("R-{n}"));
        p.box_id = Some(the_box());
        p.status = PickupStatus::Ready;
        p.compartment = Some(no(u32::from(n)));
        p.phone_hash = Some(KeyedHash { key_id: "lookup-1".into(), hash: vec![n; 32] });
        p.pin = Some(pin(3));
        insert(store, &p).await;
    }
    let mut tx = store.begin().await.unwrap();
    tx.family_pin(&the_box(), &KeyedHash { key_id: "lookup-1".into(), hash: vec![1; 32] }, &pin(3)).await.unwrap();
    tx.reseal(
        SealedTable::PersonalData,
        &SealedRow { row: id(2).to_string(), pickup: id(2), sealed: sealed("data-2", 2) },
        &sealed("data-1", 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let old = tx.sealed_not_under(SealedTable::PersonalData, "data-2", 10).await.unwrap();
    assert_eq!(
        old.iter().map(|r| (r.row.clone(), r.sealed.clone())).collect::<Vec<_>>(),
        vec![(id(1).to_string(), sealed("data-1", 0))]
    );
    let again = SealedRow { sealed: sealed("data-2", 9), ..old[0].clone() };
    assert!(!tx.reseal(SealedTable::PersonalData, &again, &sealed("data-1", 5)).await.unwrap(), "changed meanwhile");
    assert!(tx.reseal(SealedTable::PersonalData, &again, &sealed("data-1", 0)).await.unwrap());
    assert!(tx.sealed_not_under(SealedTable::PersonalData, "data-2", 10).await.unwrap().is_empty());
    assert_eq!(tx.personal_data(&id(1)).await.unwrap().map(|p| p.sealed), Some(sealed("data-2", 9)));

    let stale = tx.pickups_with_phone_not_under("lookup-2", 10).await.unwrap();
    assert_eq!(stale.len(), 2);
    let (from, to) = (
        KeyedHash { key_id: "lookup-1".into(), hash: vec![1; 32] },
        KeyedHash { key_id: "lookup-2".into(), hash: vec![5; 32] },
    );
    assert!(tx.rekey_phone(&id(1), &from, &to).await.unwrap());
    assert!(!tx.rekey_phone(&id(1), &from, &to).await.unwrap(), "moved once");
    assert_eq!(tx.pickups_with_phone_not_under("lookup-2", 10).await.unwrap().len(), 1);
    assert_eq!(tx.ready_pickups_for_phone(&the_box(), &[5; 32]).await.unwrap().len(), 1);
    let family = tx.family_pin(&the_box(), &to, &pin(4)).await.unwrap();
    assert_eq!((family.pin, family.new), (pin(3), false), "the family's PIN moved with the number");
    tx.commit().await.unwrap();
}

/// Only ready pickups at the right box are found by a phone hash, in the order they became ready.
pub async fn phone_lookup_finds_ready_pickups_of_one_box(store: &dyn Store) {
    furnish(store, 4).await;
    let hash = vec![7u8; 32];
    for (n, status, compartment, ready) in [
        (1, PickupStatus::Ready, 1, 20),
        (2, PickupStatus::Ready, 2, 10),
        (3, PickupStatus::Collected, 3, 5),
        (4, PickupStatus::AwaitingDeposit, 4, 1),
    ] {
        let mut p = pickup(n, &format!("R-{n}"));
        p.status = status;
        p.box_id = Some(the_box());
        p.compartment = (status != PickupStatus::Collected).then(|| no(compartment));
        p.phone_hash = Some(KeyedHash { key_id: "lookup-1".into(), hash: hash.clone() });
        p.ready_at = Some(t0() + Duration::seconds(ready));
        insert(store, &p).await;
    }
    let mut tx = store.begin().await.unwrap();
    let found = tx.ready_pickups_for_phone(&the_box(), &hash).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![id(2), id(1)]);
    assert!(tx.ready_pickups_for_phone(&the_box(), &[8u8; 32]).await.unwrap().is_empty());
    assert!(tx.ready_pickups_for_phone(&BoxId::parse("other").unwrap(), &hash).await.unwrap().is_empty());
}

/// Sessions round-trip and lose stale writes like pickups do; the slot's reader finds the newest
/// session waiting for a document.
pub async fn sessions_round_trip(store: &dyn Store) {
    furnish(store, 1).await;
    let session = |n: u8, step: Step, at: i64| {
        let mut state = SessionState::new(t0() + Duration::seconds(at));
        state.step = step;
        SessionRecord {
            id: SessionId::from_random([n; 16]),
            box_id: the_box(),
            token_id: "tok_1".into(),
            panel: panel(if n == 4 { 2 } else { 1 }).id,
            state,
            phone_hash: Some(KeyedHash { key_id: "lookup-1".into(), hash: vec![n; 32] }),
            last_error: Some("phone_or_pin_wrong".into()),
            language: if n == 2 {
                abholbox_core::language::PanelLanguage::Ar
            } else {
                abholbox_core::language::PanelLanguage::De
            },
            created_at: t0(),
            version: 1,
        }
    };
    let older = session(1, Step::OldDocument, 1);
    let newer = session(2, Step::OldDocument, 2);
    let done = session(3, Step::Done, 3);
    let other_panel = session(4, Step::OldDocument, 4);
    let mut tx = store.begin().await.unwrap();
    for s in [&older, &newer, &done, &other_panel] {
        tx.insert_session(s).await.unwrap();
    }
    assert_eq!(
        tx.session_waiting_for_document(&the_box(), &panel(1).id).await.unwrap().map(|s| s.id),
        Some(newer.id.clone()),
        "the newest waiting session of that panel, not the other panel's newer one"
    );
    assert_eq!(
        tx.session_waiting_for_document(&the_box(), &panel(2).id).await.unwrap().map(|s| s.id),
        Some(other_panel.id.clone())
    );
    assert_eq!(tx.open_sessions_of_panel(&the_box(), &panel(1).id).await.unwrap().len(), 2);
    assert_eq!(tx.open_sessions_of_panel(&the_box(), &panel(2).id).await.unwrap().len(), 1);
    assert_eq!(tx.sessions_at_step(Step::OldDocument).await.unwrap().len(), 3);
    assert_eq!(tx.sessions_at_step(Step::Done).await.unwrap().len(), 1);
    let mut moved = newer.clone();
    moved.state.step = Step::Collect;
    assert!(tx.update_session(&moved).await.unwrap());
    assert!(!tx.update_session(&moved).await.unwrap(), "version 1 is gone");
    tx.commit().await.unwrap();
    let stored = store.session(&newer.id).await.unwrap().unwrap();
    assert_eq!((stored.state.step, stored.version), (Step::Collect, 2));
    assert_eq!(store.session(&older.id).await.unwrap(), Some(older));
}

/// The event feed's cursor only grows, and reading after a cursor returns the rest in order.
pub async fn the_event_cursor_only_grows(store: &dyn Store) {
    for n in 0..5u8 {
        let mut tx = store.begin().await.unwrap();
        tx.append_event(&NewEvent { pickup: id(n), kind: "registered", at: t0(), data: json!({ "n": n }) })
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let all = store.events_after(0, 10).await.unwrap();
    let cursors: Vec<i64> = all.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors.len(), 5);
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    let after = store.events_after(cursors[1], 2).await.unwrap();
    assert_eq!(after.iter().map(|e| e.cursor).collect::<Vec<_>>(), cursors[2..4].to_vec());
    assert_eq!(after[0].data, json!({ "n": 2 }));
    let mut tx = store.begin().await.unwrap();
    tx.append_audit(&NewAuditEntry {
        at: t0(),
        actor: "system".into(),
        action: "x",
        object: "y".into(),
        detail: json!({}),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.audit_entries(10).await.unwrap().len(), 1);
}

/// A supervisor reads the part of the audit log about their sites: entries about their boxes, their
/// pickups and the site itself; not another site's, nor the installation's own (staff, tokens).
pub async fn the_audit_log_is_read_by_site(store: &dyn Store) {
    furnish(store, 1).await;
    let p = PickupRecord { status: PickupStatus::Cancelled, ..pickup(1, "R-1") };
    let mut tx = store.begin().await.unwrap();
    tx.insert_pickup(&p, &personal(1)).await.unwrap();
    let objects = ["box:box-1".to_owned(), p.id.to_string(), "site:site-1".into()];
    let others = ["box:box-2".to_owned(), id(2).to_string(), "site:site-2".into(), "staff:stf_1".into()];
    for object in objects.iter().chain(&others) {
        let entry =
            NewAuditEntry { at: t0(), actor: "system".into(), action: "x", object: object.clone(), detail: json!({}) };
        tx.append_audit(&entry).await.unwrap();
    }
    tx.commit().await.unwrap();
    let read = |sites: Option<Vec<SiteId>>| async move {
        let filter = crate::AuditFilter { sites, limit: 100, ..Default::default() };
        let mut seen: Vec<String> = store.audit_search(&filter).await.unwrap().into_iter().map(|e| e.object).collect();
        seen.sort();
        seen
    };
    let mut expected = objects.to_vec();
    expected.sort();
    assert_eq!(read(Some(vec![site()])).await, expected, "their boxes, pickups and site only");
    assert!(read(Some(vec![SiteId::parse("site-2").unwrap()])).await == vec!["site:site-2".to_owned()]);
    assert!(read(Some(vec![])).await.is_empty(), "no site, no entries");
    assert_eq!(read(None).await.len(), objects.len() + others.len(), "the whole log");

    // Retention deletes the pickup; what the log says about it stays with its site.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.delete_ended(t0() + Duration::days(400), 10).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(store.pickup(&p.id).await.unwrap().is_none());
    assert_eq!(read(Some(vec![site()])).await, expected, "the deleted pickup's entry is still the site's");

    // A mention is matched as written: `%` and `_` are no wildcards.
    let mut tx = store.begin().await.unwrap();
    let by_kiosk = NewAuditEntry {
        at: t0(),
        actor: "kiosk:box-1:tok_1".into(),
        action: "x",
        object: "y".into(),
        detail: json!({}),
    };
    tx.append_audit(&by_kiosk).await.unwrap();
    tx.commit().await.unwrap();
    let mentioning = |m: &str| crate::AuditFilter { mention: Some(m.into()), limit: 100, ..Default::default() };
    assert_eq!(store.audit_search(&mentioning("box-1")).await.unwrap().len(), 2, "the box and its kiosk's entry");
    assert_eq!(store.audit_search(&mentioning("site-2")).await.unwrap().len(), 1, "a site by its id alone");
    assert_eq!(store.audit_search(&mentioning("site-1")).await.unwrap().len(), 3, "and all that is about it");
    for pattern in ["%", "box_1", "b%"] {
        assert!(store.audit_search(&mentioning(pattern)).await.unwrap().is_empty(), "{pattern} matches nothing");
    }
}

fn outbox_message(p: &PickupId, message_id: &str) -> NewOutboxMessage {
    NewOutboxMessage {
        message_id: message_id.into(),
        segments: 2,
        pickup: p.clone(),
        purpose: "ready",
        sealed: sealed("data-1", 7),
        not_before: t0(),
        created_at: t0(),
    }
}

/// A message moves from queued to accepted to delivered, or to failed, as the gateway reports;
/// reports name it by our id or the gateway's, a late report changes nothing, and an id is unique.
pub async fn delivery_states_follow_the_gateway(store: &dyn Store) {
    let p = id(1);
    let mut tx = store.begin().await.unwrap();
    let (a, b, c) = (
        tx.enqueue(&outbox_message(&p, "m-a")).await.unwrap(),
        tx.enqueue(&outbox_message(&p, "m-b")).await.unwrap(),
        tx.enqueue(&outbox_message(&p, "m-c")).await.unwrap(),
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(tx.enqueue(&outbox_message(&p, "m-a")).await.is_err(), "a message id is unique");
    drop(tx);
    let later = t0() + Duration::seconds(5);
    store.outbox_sent(a, t0(), "primary", "smsc-1").await.unwrap();
    store.outbox_sent(b, t0(), "secondary", "smsc-1").await.unwrap();
    let gateway_ref = MessageRef::Gateway { gateway: "primary", gateway_id: "smsc-1" };
    assert!(store.outbox_delivered(gateway_ref, later).await.unwrap());
    assert!(!store.outbox_delivered(gateway_ref, later).await.unwrap(), "reported once");
    let report_first = {
        let mut tx = store.begin().await.unwrap();
        let id = tx.enqueue(&outbox_message(&p, "m-d")).await.unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert!(
        store.outbox_delivered(MessageRef::MessageId("m-d"), later).await.unwrap(),
        "a report that overtakes our record of the acceptance counts"
    );
    assert!(
        store.lease_outbox(t0(), t0() + Duration::seconds(60)).await.unwrap().is_some_and(|m| m.id != report_first)
    );
    store.outbox_sent(report_first, later, "kannel", "m-d").await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.outbox_failed(MessageRef::MessageId("m-b"), later, "UNDELIV").await.unwrap(),
        Some((p.clone(), "ready".to_owned()))
    );
    assert_eq!(
        tx.outbox_failed(MessageRef::Row(c), later, "gave up").await.unwrap(),
        Some((p.clone(), "ready".into()))
    );
    assert_eq!(tx.outbox_failed(MessageRef::Row(a), later, "late").await.unwrap(), None, "delivered stays delivered");
    assert_eq!(tx.outbox_failed(MessageRef::Row(c), later, "again").await.unwrap(), None, "failed once");
    tx.commit().await.unwrap();
    let states: Vec<_> =
        store.outbox_for_pickup(&p).await.unwrap().into_iter().map(|m| (m.state, m.state_at)).collect();
    assert_eq!(
        states,
        [
            (DeliveryState::Delivered, Some(later)),
            (DeliveryState::Failed, Some(later)),
            (DeliveryState::Failed, Some(later)),
            (DeliveryState::Delivered, Some(later)),
        ]
    );
    let status = store.outbox_for_pickup(&p).await.unwrap();
    assert!(status.iter().all(|m| !m.holds_content), "a failed message keeps no recipient or text");
    assert_eq!(status[2].last_error.as_deref(), Some("gave up"));
    assert!(store.lease_outbox(t0() + Duration::hours(1), t0() + Duration::hours(2)).await.unwrap().is_none());
    store.outbox_sent(c, later, "primary", "smsc-9").await.unwrap();
    assert_eq!(store.outbox_for_pickup(&p).await.unwrap()[2].state, DeliveryState::Failed, "given up stays given up");
}

/// A leased message is not leased again until the lease runs out; a sent one forgets its content.
pub async fn the_outbox_leases_and_forgets(store: &dyn Store) {
    let p = id(1);
    let mut tx = store.begin().await.unwrap();
    let message = outbox_message(&p, "m-1");
    let first = tx.enqueue(&message).await.unwrap();
    let later = tx
        .enqueue(&NewOutboxMessage { not_before: t0() + Duration::hours(1), ..outbox_message(&p, "m-2") })
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let leased = store.lease_outbox(t0(), t0() + Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((leased.id, leased.attempts, &leased.sealed), (first, 1, &sealed("data-1", 7)));
    assert_eq!((leased.message_id.as_str(), leased.due_at), ("m-1", t0()));
    assert!(
        store.lease_outbox(t0(), t0() + Duration::seconds(60)).await.unwrap().is_none(),
        "leased, and the other is not due"
    );
    let again = store.lease_outbox(t0() + Duration::seconds(61), t0() + Duration::seconds(121)).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (first, 2), "a lost lease is leased again");
    store.outbox_retry(first, "gateway busy", t0() + Duration::seconds(200)).await.unwrap();
    assert!(store.lease_outbox(t0() + Duration::seconds(150), t0() + Duration::seconds(210)).await.unwrap().is_none());
    let third =
        store.lease_outbox(t0() + Duration::seconds(200), t0() + Duration::seconds(260)).await.unwrap().unwrap();
    assert_eq!(third.id, first);
    store.outbox_sent(first, t0() + Duration::seconds(201), "primary", "gw-1").await.unwrap();
    let status = store.outbox_for_pickup(&p).await.unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(
        (status[0].state, status[0].gateway.as_deref(), status[0].segments),
        (DeliveryState::Accepted, Some("primary"), 2)
    );
    assert_eq!(status[1].state, DeliveryState::Queued);
    assert_eq!((status[0].id, status[0].holds_content, status[0].sent_at.is_some()), (first, false, true));
    assert_eq!((status[1].id, status[1].holds_content, status[1].sent_at), (later, true, None));
    let next = store.lease_outbox(t0() + Duration::hours(2), t0() + Duration::hours(3)).await.unwrap().unwrap();
    assert_eq!(next.id, later);
}

/// Two claims built from the same read of a pickup: exactly one wins, whatever the isolation level.
/// This is the conditional write that exactly-once hand-over rests on.
pub async fn two_claims_from_one_read_hand_over_once(store: &dyn Store) {
    furnish(store, 1).await;
    let mut p = pickup(1, "R-1");
    p.status = PickupStatus::Ready;
    p.box_id = Some(the_box());
    p.compartment = Some(no(1));
    insert(store, &p).await;
    let read = store.pickup(&p.id).await.unwrap().unwrap();
    let claim = |n: u8| {
        let mut c = read.clone();
        c.claimed_by = Some(SessionId::from_random([n; 16]));
        c
    };
    let mut first = store.begin().await.unwrap();
    assert!(first.update_pickup(&claim(7)).await.unwrap());
    first.commit().await.unwrap();
    let mut second = store.begin().await.unwrap();
    assert!(!second.update_pickup(&claim(8)).await.unwrap(), "the second claim read a version that is gone");
    second.commit().await.unwrap();
    let stored = store.pickup(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.claimed_by, Some(SessionId::from_random([7; 16])));
}

/// Panels come back per box, ordered by slot, and a new configuration replaces them.
pub async fn panels_follow_the_configuration(store: &dyn Store) {
    furnish(store, 1).await;
    let panels = store.panels(&the_box()).await.unwrap();
    assert_eq!(panels, vec![panel(1), panel(2)]);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.panel(&the_box(), &panel(2).id).await.unwrap(), Some(panel(2)));
    let b = tx.box_record(&the_box()).await.unwrap().unwrap();
    tx.upsert_box(&b, &[], &[panel(3)]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.panels(&the_box()).await.unwrap(), vec![panel(3)]);
}

/// A retired compartment says why and is never offered; freeing it clears the reason.
pub async fn retired_compartments_say_why(store: &dyn Store) {
    furnish(store, 2).await;
    let mut tx = store.begin().await.unwrap();
    tx.set_compartment_state(&the_box(), no(1), CompartmentState::Free, CompartmentState::Reserved).await.unwrap();
    assert!(!tx.retire_compartment(&the_box(), no(1), CompartmentState::Free, Defect::LockRefused).await.unwrap());
    assert!(tx.retire_compartment(&the_box(), no(1), CompartmentState::Reserved, Defect::LockNoAnswer).await.unwrap());
    assert_eq!(tx.free_compartments(&the_box(), None).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
    let c = store.compartment(&the_box(), no(1)).await.unwrap().unwrap();
    assert_eq!((c.state, c.defect), (CompartmentState::Defective, Some(Defect::LockNoAnswer)));
    let mut tx = store.begin().await.unwrap();
    tx.set_compartment_state(&the_box(), no(1), CompartmentState::Defective, CompartmentState::Free).await.unwrap();
    tx.commit().await.unwrap();
    let c = store.compartment(&the_box(), no(1)).await.unwrap().unwrap();
    assert_eq!((c.state, c.defect), (CompartmentState::Free, None));
}

/// The box listing counts compartments by state in the database; a box without any is listed too.
pub async fn box_summaries_count_by_state(store: &dyn Store) {
    furnish(store, 5).await;
    let mut tx = store.begin().await.unwrap();
    tx.set_compartment_state(&the_box(), no(1), CompartmentState::Free, CompartmentState::Reserved).await.unwrap();
    tx.retire_compartment(&the_box(), no(2), CompartmentState::Free, Defect::LockRefused).await.unwrap();
    let empty = BoxRecord {
        id: BoxId::parse("box-0").unwrap(),
        site: site(),
        name: "Empty".into(),
        driver: "simulated".into(),
    };
    tx.upsert_box(&empty, &[], &[]).await.unwrap();
    tx.commit().await.unwrap();
    let summaries = store.box_summaries().await.unwrap();
    let counts: Vec<_> = summaries
        .iter()
        .map(|b| (b.record.id.as_str(), b.compartments, b.free, b.free_within_reach, b.defective))
        .collect();
    assert_eq!(counts, [("box-0", 0, 0, 0, 0), ("box-1", 5, 3, 2, 1)]);
    assert_eq!(summaries[1].record.name, "Box");
}

/// Only ready, unclaimed pickups past their deadline are due to expire, earliest first.
pub async fn expiry_finds_what_is_due(store: &dyn Store) {
    furnish(store, 4).await;
    for (n, hours, claimed) in [(1, -1, false), (2, -3, false), (3, 5, false), (4, -2, true)] {
        let mut p = pickup(n, &format!("R-{n}"));
        p.status = PickupStatus::Ready;
        p.box_id = Some(the_box());
        p.compartment = Some(no(u32::from(n)));
        p.deadline = Some(t0() + Duration::hours(hours));
        p.claimed_by = claimed.then(|| SessionId::from_random([n; 16]));
        insert(store, &p).await;
    }
    let mut tx = store.begin().await.unwrap();
    let due = tx.pickups_due_to_expire(t0(), 10).await.unwrap();
    assert_eq!(due.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![id(2), id(1)]);
    assert_eq!(tx.pickups_due_to_expire(t0(), 1).await.unwrap().len(), 1);
}

/// Opt-ins whose document never came are found by when they were registered, oldest first; a
/// pickup past loading is not among them, however old.
pub async fn never_loaded_opt_ins_are_found_by_age(store: &dyn Store) {
    furnish(store, 4).await;
    for (n, days, status) in [
        (1, -200, PickupStatus::AwaitingDeposit),
        (2, -300, PickupStatus::AwaitingDeposit),
        (3, -10, PickupStatus::AwaitingDeposit),
        (4, -400, PickupStatus::Depositing),
    ] {
        let mut p = pickup(n, &format!("R-{n}"));
        p.status = status;
        p.created_at = t0() + Duration::days(days);
        if status == PickupStatus::Depositing {
            p.box_id = Some(the_box());
            p.compartment = Some(no(u32::from(n)));
        }
        insert(store, &p).await;
    }
    let mut tx = store.begin().await.unwrap();
    let old = tx.pickups_never_loaded(t0() - Duration::days(180), 10).await.unwrap();
    assert_eq!(old.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![id(2), id(1)]);
    assert_eq!(tx.pickups_never_loaded(t0() - Duration::days(180), 1).await.unwrap().len(), 1);
}

/// Dropping a pickup's unsent messages erases their content and keeps sent ones as they were.
pub async fn unsent_messages_can_be_dropped(store: &dyn Store) {
    let p = id(1);
    let message = outbox_message(&p, "m-1");
    let mut tx = store.begin().await.unwrap();
    let sent = tx.enqueue(&message).await.unwrap();
    let unsent = tx.enqueue(&outbox_message(&p, "m-2")).await.unwrap();
    tx.commit().await.unwrap();
    store.lease_outbox(t0(), t0() + Duration::seconds(60)).await.unwrap();
    store.outbox_sent(sent, t0(), "primary", "gw-1").await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let mut reminder = outbox_message(&p, "m-3");
    reminder.purpose = "reminder";
    tx.enqueue(&reminder).await.unwrap();
    assert_eq!(tx.drop_unsent_messages(&p, t0(), Some("reminder")).await.unwrap(), 1, "only the reminder");
    assert_eq!(tx.drop_unsent_messages(&p, t0(), None).await.unwrap(), 1);
    assert_eq!(tx.drop_unsent_messages(&p, t0(), None).await.unwrap(), 0, "dropped once");
    tx.commit().await.unwrap();
    let status = store.outbox_for_pickup(&p).await.unwrap();
    assert_eq!((status[0].id, status[0].dropped_at, status[0].sent_at.is_some()), (sent, None, true));
    assert_eq!((status[1].id, status[1].holds_content, status[1].dropped_at), (unsent, false, Some(t0())));
    assert_eq!((status[0].state, status[1].state), (DeliveryState::Accepted, DeliveryState::Dropped));
    assert!(store.lease_outbox(t0() + Duration::hours(1), t0() + Duration::hours(2)).await.unwrap().is_none());
}

/// Door events are kept in arrival order until applied, applied exactly once, and a failure keeps them.
pub async fn door_events_wait_until_applied(store: &dyn Store) {
    let event = |n: u32, door: DoorMove| NewBoxEvent {
        box_id: the_box(),
        door,
        compartment: no(n),
        at: t0() + Duration::seconds(i64::from(n)),
        item_inside: (door == DoorMove::Closed).then_some(n.is_multiple_of(2)),
    };
    let mut tx = store.begin().await.unwrap();
    let opened = tx.insert_box_event(&event(1, DoorMove::Opened)).await.unwrap();
    let closed = tx.insert_box_event(&event(2, DoorMove::Closed)).await.unwrap();
    let broken = tx.insert_box_event(&event(3, DoorMove::Closed)).await.unwrap();
    tx.commit().await.unwrap();
    let pending = store.pending_box_events(10).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.id).collect::<Vec<_>>(), vec![opened, closed, broken]);
    assert_eq!(
        (pending[1].door, pending[1].compartment, pending[1].at),
        (DoorMove::Closed, no(2), event(2, DoorMove::Closed).at)
    );
    let items: Vec<Option<bool>> = pending.iter().map(|e| e.item_inside).collect();
    assert_eq!(items, vec![None, Some(true), Some(false)], "what the item sensor saw is kept");

    store.box_event_attempt_failed(opened, "database is locked").await.unwrap();
    assert_eq!(store.pending_box_events(1).await.unwrap()[0].attempts, 1, "still pending after a failure");
    let mut tx = store.begin().await.unwrap();
    assert!(tx.box_event_applied(opened, t0()).await.unwrap());
    assert!(!tx.box_event_applied(opened, t0()).await.unwrap(), "applied exactly once");
    tx.commit().await.unwrap();
    let mut rolled_back = store.begin().await.unwrap();
    assert!(rolled_back.box_event_applied(closed, t0()).await.unwrap());
    drop(rolled_back);
    store.box_event_given_up(broken, t0(), "illegal").await.unwrap();
    let pending = store.pending_box_events(10).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.id).collect::<Vec<_>>(), vec![closed], "an uncommitted apply stays pending");

    let mut tx = store.begin().await.unwrap();
    let (behind, applied) = tx.insert_box_event_unless_behind(&event(2, DoorMove::Opened), t0()).await.unwrap();
    assert!(!applied, "compartment 2 has an event waiting: the new one waits behind it");
    let (alone, applied) = tx.insert_box_event_unless_behind(&event(4, DoorMove::Opened), t0()).await.unwrap();
    assert!(applied, "nothing waits for compartment 4: applied as it is stored");
    let (given_up_before, applied) =
        tx.insert_box_event_unless_behind(&event(3, DoorMove::Opened), t0()).await.unwrap();
    assert!(applied, "an event given up does not hold back the next");
    tx.commit().await.unwrap();
    let pending: Vec<i64> = store.pending_box_events(10).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(pending, vec![closed, behind], "{alone} and {given_up_before} are applied, not pending");
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.box_event_applied(alone, t0()).await.unwrap(), "marked applied already");
    drop(tx);
}

fn pin(n: u8) -> PinHash {
    PinHash { key_id: "pin-1".into(), salt: vec![n; 16], hash: vec![n; 32] }
}

/// A family's PIN is the first one offered while a ready, unlocked document still opens with it.
pub async fn a_family_keeps_one_pin_while_it_opens_something(store: &dyn Store) {
    furnish(store, 3).await;
    let phone = KeyedHash { key_id: "lookup-1".into(), hash: vec![7; 32] };
    let mut tx = store.begin().await.unwrap();
    let first = tx.family_pin(&the_box(), &phone, &pin(1)).await.unwrap();
    assert_eq!((first.pin.clone(), first.new), (pin(1), true));
    let mut p = pickup(1, "R-1");
    p.status = PickupStatus::Ready;
    p.box_id = Some(the_box());
    p.compartment = Some(no(1));
    p.phone_hash = Some(phone.clone());
    p.pin = Some(pin(1));
    tx.insert_pickup(&p, &personal(1)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let second = tx.family_pin(&the_box(), &phone, &pin(2)).await.unwrap();
    assert_eq!((second.pin.clone(), second.new), (pin(1), false), "the family's PIN holds");
    let other = KeyedHash { key_id: "lookup-1".into(), hash: vec![8; 32] };
    assert!(tx.family_pin(&the_box(), &other, &pin(3)).await.unwrap().new, "another number, another family");
    tx.commit().await.unwrap();

    // The only document opening with it is collected: the old PIN opens nothing, a new one is issued.
    let mut tx = store.begin().await.unwrap();
    let mut done = tx.pickup(&p.id).await.unwrap().unwrap();
    done.status = PickupStatus::Collected;
    done.compartment = None;
    assert!(tx.update_pickup(&done).await.unwrap());
    let later = tx.family_pin(&the_box(), &phone, &pin(4)).await.unwrap();
    assert_eq!((later.pin, later.new), (pin(4), true));
    tx.commit().await.unwrap();
}

/// Two transactions racing to make a family's documents ready get one PIN between them.
pub async fn racing_family_documents_get_one_pin(store: &dyn Store) {
    furnish(store, 2).await;
    let phone = KeyedHash { key_id: "lookup-1".into(), hash: vec![9; 32] };
    let race = |n: u8| {
        let phone = phone.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let got = tx.family_pin(&the_box(), &phone, &pin(n)).await.unwrap();
            tokio::task::yield_now().await;
            let mut p = pickup(n, &format!("R-{n}"));
            p.status = PickupStatus::Ready;
            p.box_id = Some(the_box());
            p.compartment = Some(no(u32::from(n)));
            p.phone_hash = Some(phone.clone());
            p.pin = Some(got.pin.clone());
            tx.insert_pickup(&p, &personal(n)).await.unwrap();
            tx.commit().await.unwrap();
            got
        }
    };
    let (a, b) = tokio::join!(race(1), race(2));
    assert_eq!(a.pin, b.pin, "one PIN for the family");
    assert!(a.new != b.new, "exactly one of them sends it: {a:?} {b:?}");
}

/// Two transactions that both read a ready pickup and both claim it, at the same time: exactly one
/// claim is written, whatever the backend's locking.
pub async fn racing_claims_hand_over_once(store: &dyn Store) {
    furnish(store, 1).await;
    let mut p = pickup(1, "R-1");
    p.status = PickupStatus::Ready;
    p.box_id = Some(the_box());
    p.compartment = Some(no(1));
    insert(store, &p).await;
    let race = |n: u8| async move {
        let mut tx = store.begin().await.unwrap();
        let mut read = tx.pickup(&id(1)).await.unwrap().unwrap();
        tokio::task::yield_now().await;
        // What the pickup's rules check on the version read; the conditional write covers the rest.
        let unclaimed = read.claimed_by.is_none();
        read.claimed_by = Some(SessionId::from_random([n; 16]));
        let won = unclaimed && tx.update_pickup(&read).await.unwrap();
        tx.commit().await.unwrap();
        won
    };
    let (a, b) = tokio::join!(race(7), race(8));
    assert!(a != b, "exactly one claim wins: {a} {b}");
    let stored = store.pickup(&id(1)).await.unwrap().unwrap();
    let winner = if a { 7 } else { 8 };
    assert_eq!(stored.claimed_by, Some(SessionId::from_random([winner; 16])));
}

/// Two loadings racing for one free compartment: exactly one reserves it.
pub async fn racing_reservations_take_a_compartment_once(store: &dyn Store) {
    furnish(store, 1).await;
    let race = || async move {
        let mut tx = store.begin().await.unwrap();
        let free = tx.free_compartments(&the_box(), None).await.unwrap();
        tokio::task::yield_now().await;
        let won = match free.first() {
            Some(c) => tx
                .set_compartment_state(&the_box(), c.number, CompartmentState::Free, CompartmentState::Reserved)
                .await
                .unwrap(),
            None => false,
        };
        tx.commit().await.unwrap();
        won
    };
    let (a, b) = tokio::join!(race(), race());
    assert!(a != b, "exactly one reservation wins: {a} {b}");
}

/// A staff account is found by name, a second one of that name is refused, and failed sign-ins are
/// counted and cleared.
pub async fn staff_accounts_count_failed_sign_ins(store: &dyn Store) {
    let staff = crate::StaffRecord {
        id: "stf_1".into(),
        name: "anna.schmidt".into(),
        role: abholbox_core::staff::StaffRole::Supervisor,
        sites: vec![site(), SiteId::parse("dus-bilk").unwrap()],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: t0(),
        disabled_at: None,
        failed_sign_ins: 0,
        last_failed_at: None,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_staff(&staff).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.staff_by_name("anna.schmidt").await.unwrap(), Some(staff.clone()));
    assert_eq!(store.staff_by_name("anna").await.unwrap(), None);

    let mut tx = store.begin().await.unwrap();
    let again = crate::StaffRecord { id: "stf_2".into(), ..staff.clone() };
    assert!(matches!(tx.insert_staff(&again).await, Err(StoreError::Conflict(Rule::StaffName))));
    drop(tx);

    let mut seen = (0, None);
    for n in 1..=3u32 {
        let at = t0() + Duration::seconds(i64::from(n));
        let mut tx = store.begin().await.unwrap();
        assert!(tx.book_sign_in("stf_1", seen, n, at).await.unwrap());
        tx.commit().await.unwrap();
        seen = (n, Some(at));
    }
    let counted = store.staff_by_name("anna.schmidt").await.unwrap().unwrap();
    assert_eq!((counted.failed_sign_ins, counted.last_failed_at), (3, Some(t0() + Duration::seconds(3))));
    // A try that read the count before the last booking loses: one of racing tries goes on.
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.book_sign_in("stf_1", (2, Some(t0() + Duration::seconds(2))), 3, t0()).await.unwrap());
    tx.clear_sign_in_failures("stf_1").await.unwrap();
    tx.commit().await.unwrap();
    let cleared = store.staff_by_name("anna.schmidt").await.unwrap().unwrap();
    assert_eq!((cleared.failed_sign_ins, cleared.last_failed_at), (0, None));
    let mut tx = store.begin().await.unwrap();
    assert!(tx.book_sign_in("stf_1", (0, None), 1, t0()).await.unwrap(), "a cleared count books from nothing");
    tx.commit().await.unwrap();
}
