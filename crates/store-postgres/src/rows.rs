//! Rows back into records; a value that does not parse is reported as corrupt, never unwrapped.

use abholbox_core::compartment::{CompartmentState, Defect, SizeClass};
use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, PickupId, SessionId, SiteId, SlotNo};
use abholbox_core::kiosk::{EndReason, QueuedPickup, SessionState, Step};
use abholbox_core::language::Language;
use abholbox_core::personal::ThirdFactor;
use abholbox_core::pickup::{Attention, PickupStatus};
use abholbox_store::{
    AlarmRecord, AuditRecord, BoxEventRecord, BoxRecord, BoxSummary, CompartmentRecord, DeliveryState, DoorMove,
    EventRecord, KeyedHash, MessageFields, OldDocumentFields, OutboxRecord, OutboxStatus, PanelRecord, PersonalFields,
    PersonalRecord, PickupRecord, PinHash, Role, Rule, Sealed, SealedRow, SealedTable, Serialize, SessionRecord,
    SiteRecord, StaffRecord, StoreError, TokenRecord,
};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;

type R<T> = Result<T, StoreError>;

fn corrupt(col: &'static str) -> StoreError {
    StoreError::Corrupt(col)
}

pub(crate) fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(Box::new(e))
}

/// Maps PostgreSQL's answers to what the use cases tell apart: a unique index names its rule, a
/// deadlock or serialization failure may be retried; anything else is a database error.
pub(crate) fn write_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        match d.code().as_deref() {
            Some("23505") => {
                return StoreError::Conflict(match d.constraint() {
                    Some("pickups_reference") => Rule::PickupReference,
                    Some("pickups_document_number") => Rule::PickupDocumentNumber,
                    Some("pickups_compartment") => Rule::CompartmentHoldsOne,
                    Some("pickups_claim") => Rule::OneClaimPerSession,
                    Some("staff_name") => Rule::StaffName,
                    Some("compartments_label") => Rule::CompartmentLabel,
                    _ => Rule::Identity,
                });
            }
            Some("40001" | "40P01") => return StoreError::Retry,
            _ => {}
        }
    }
    db(e)
}

/// Like [`write_err`] for reads, which can meet a deadlock too.
pub(crate) fn read_err(e: sqlx::Error) -> StoreError {
    write_err(e)
}

fn s(row: &PgRow, col: &'static str) -> R<String> {
    row.try_get::<String, _>(col).map_err(|_| corrupt(col))
}

fn opt_s(row: &PgRow, col: &'static str) -> R<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(|_| corrupt(col))
}

fn i(row: &PgRow, col: &'static str) -> R<i64> {
    row.try_get::<i64, _>(col).map_err(|_| corrupt(col))
}

fn u(row: &PgRow, col: &'static str) -> R<u32> {
    u32::try_from(i(row, col)?).map_err(|_| corrupt(col))
}

fn b(row: &PgRow, col: &'static str) -> R<bool> {
    row.try_get::<bool, _>(col).map_err(|_| corrupt(col))
}

fn blob(row: &PgRow, col: &'static str) -> R<Option<Vec<u8>>> {
    row.try_get::<Option<Vec<u8>>, _>(col).map_err(|_| corrupt(col))
}

fn t(row: &PgRow, col: &'static str) -> R<DateTime<Utc>> {
    row.try_get::<DateTime<Utc>, _>(col).map_err(|_| corrupt(col))
}

fn opt_t(row: &PgRow, col: &'static str) -> R<Option<DateTime<Utc>>> {
    row.try_get::<Option<DateTime<Utc>>, _>(col).map_err(|_| corrupt(col))
}

fn json(row: &PgRow, col: &'static str) -> R<serde_json::Value> {
    row.try_get::<serde_json::Value, _>(col).map_err(|_| corrupt(col))
}

fn parsed<T>(row: &PgRow, col: &'static str, f: impl FnOnce(&str) -> Option<T>) -> R<T> {
    f(&s(row, col)?).ok_or_else(|| corrupt(col))
}

fn opt_parsed<T>(row: &PgRow, col: &'static str, f: impl FnOnce(&str) -> Option<T>) -> R<Option<T>> {
    opt_s(row, col)?.map(|v| f(&v).ok_or_else(|| corrupt(col))).transpose()
}

fn keyed(row: &PgRow, key_col: &'static str, hash_col: &'static str) -> R<Option<KeyedHash>> {
    Ok(match (opt_s(row, key_col)?, blob(row, hash_col)?) {
        (Some(key_id), Some(hash)) => Some(KeyedHash { key_id, hash }),
        _ => None,
    })
}

fn opt_bool(row: &PgRow, col: &'static str) -> R<Option<bool>> {
    row.try_get::<Option<bool>, _>(col).map_err(|_| corrupt(col))
}

fn opt_compartment(row: &PgRow, col: &'static str) -> R<Option<CompartmentNo>> {
    let n: Option<i32> = row.try_get(col).map_err(|_| corrupt(col))?;
    n.map(|n| compartment_no(i64::from(n), col)).transpose()
}

pub(crate) fn compartment_no(n: i64, col: &'static str) -> R<CompartmentNo> {
    u32::try_from(n).ok().and_then(CompartmentNo::new).ok_or_else(|| corrupt(col))
}

fn opt_pin(row: &PgRow) -> R<Option<PinHash>> {
    Ok(match (opt_s(row, "pin_key")?, blob(row, "pin_salt")?, blob(row, "pin_hash")?) {
        (Some(key_id), Some(salt), Some(hash)) => Some(PinHash { key_id, salt, hash }),
        _ => None,
    })
}

/// A PIN hash from `pin_key`, `pin_salt` and `pin_hash`.
pub(crate) fn map_pin(row: &PgRow) -> R<PinHash> {
    opt_pin(row)?.ok_or_else(|| corrupt("pin_hash"))
}

pub(crate) fn map_site(row: &PgRow) -> R<SiteRecord> {
    Ok(SiteRecord {
        id: parsed(row, "id", |v| SiteId::parse(v).ok())?,
        name: s(row, "name")?,
        address: s(row, "address")?,
        time_zone: s(row, "time_zone")?,
        opening_hours: opt_s(row, "opening_hours")?,
        holiday_state: s(row, "holiday_state")?,
        open_24_7: b(row, "open_24_7")?,
        four_eyes: b(row, "four_eyes")?,
        counter_phone: opt_s(row, "counter_phone")?,
        pin_letter_kinds: s(row, "pin_letter_kinds")?
            .split_whitespace()
            .map(|k| abholbox_core::document::DocumentKind::parse(k).ok_or_else(|| corrupt("pin_letter_kinds")))
            .collect::<R<Vec<_>>>()?,
    })
}

pub(crate) fn map_box(row: &PgRow) -> R<BoxRecord> {
    Ok(BoxRecord {
        id: parsed(row, "id", |v| BoxId::parse(v).ok())?,
        site: parsed(row, "site_id", |v| SiteId::parse(v).ok())?,
        name: s(row, "name")?,
        driver: s(row, "driver")?,
    })
}

pub(crate) fn map_box_summary(row: &PgRow) -> R<BoxSummary> {
    Ok(BoxSummary {
        record: map_box(row)?,
        compartments: u(row, "compartments")?,
        free: u(row, "free")?,
        free_within_reach: u(row, "free_within_reach")?,
        defective: u(row, "defective")?,
        last_compartment: u(row, "last_compartment")?,
    })
}

pub(crate) fn map_compartment(row: &PgRow) -> R<CompartmentRecord> {
    Ok(CompartmentRecord {
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        number: compartment_no(i(row, "number")?, "number")?,
        label: s(row, "label")?,
        module: s(row, "module")?,
        row: u(row, "row_no")?,
        column: u(row, "column_no")?,
        size: parsed(row, "size", SizeClass::parse)?,
        within_reach: b(row, "within_reach")?,
        state: parsed(row, "state", CompartmentState::parse)?,
        defect: opt_parsed(row, "defect", Defect::parse)?,
        pickup: opt_parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
    })
}

pub(crate) fn map_panel(row: &PgRow) -> R<PanelRecord> {
    Ok(PanelRecord {
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        id: parsed(row, "id", |v| PanelId::parse(v).ok())?,
        reader_slot: u(row, "reader_slot").and_then(|n| SlotNo::new(n).ok_or_else(|| corrupt("reader_slot")))?,
    })
}

pub(crate) fn map_pickup(row: &PgRow) -> R<PickupRecord> {
    Ok(PickupRecord {
        id: parsed(row, "id", |v| PickupId::parse(v).ok())?,
        reference: s(row, "reference")?,
        site: parsed(row, "site_id", |v| SiteId::parse(v).ok())?,
        document_kind: parsed(row, "document_kind", DocumentKind::parse)?,
        document_number: opt_s(row, "document_number")?,
        third_factor: parsed(row, "third_factor", ThirdFactor::parse)?,
        language: parsed(row, "language", Language::parse)?,
        low_compartment: b(row, "low_compartment")?,
        status: parsed(row, "status", PickupStatus::parse)?,
        box_id: opt_parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        compartment: row
            .try_get::<Option<i64>, _>("compartment")
            .map_err(|_| corrupt("compartment"))?
            .map(|n| compartment_no(n, "compartment"))
            .transpose()?,
        locked: b(row, "locked")?,
        failed_pin_attempts: u(row, "failed_pin_attempts")?,
        failed_third_factor_attempts: u(row, "failed_third_factor_attempts")?,
        claimed_by: opt_parsed(row, "claimed_by", |v| SessionId::parse(v).ok())?,
        claimed_at: opt_t(row, "claimed_at")?,
        door_opened_at: opt_t(row, "door_opened_at")?,
        phone_hash: keyed(row, "phone_key", "phone_hash")?,
        pin: opt_pin(row)?,
        ready_at: opt_t(row, "ready_at")?,
        deadline: opt_t(row, "deadline")?,
        collected_at: opt_t(row, "collected_at")?,
        withdrawal_started_at: opt_t(row, "withdrawal_started_at")?,
        attention: opt_parsed(row, "attention", Attention::parse)?,
        handled_by: opt_s(row, "handled_by")?,
        created_at: t(row, "created_at")?,
        updated_at: t(row, "updated_at")?,
        version: i(row, "version")?,
    })
}

/// A sealed value, or one from before sealing read from its clear columns by `clear`.
fn sealed<T: Serialize>(row: &PgRow, clear: impl FnOnce() -> R<T>) -> R<Sealed> {
    Sealed::from_columns(s(row, "key_id")?, blob(row, "sealed")?, clear)?.ok_or_else(|| corrupt("sealed"))
}

fn personal_sealed(row: &PgRow) -> R<Sealed> {
    sealed(row, || {
        Ok(PersonalFields {
            phone: s(row, "phone_e164")?,
            birth_date: opt_s(row, "birth_date")?,
            old_document_number: opt_s(row, "old_document_number")?,
        })
    })
}

fn message_sealed(row: &PgRow) -> R<Sealed> {
    sealed(row, || Ok(MessageFields { recipient: s(row, "recipient")?, body: s(row, "body")? }))
}

fn old_document_sealed(row: &PgRow) -> R<Sealed> {
    sealed(row, || Ok(OldDocumentFields { document_number: s(row, "document_number")? }))
}

pub(crate) fn map_personal(row: &PgRow) -> R<PersonalRecord> {
    Ok(PersonalRecord { pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?, sealed: personal_sealed(row)? })
}

/// A row of `table` as [`abholbox_store::Tx::sealed_not_under`] returns it.
pub(crate) fn map_sealed_row(table: SealedTable, row: &PgRow) -> R<SealedRow> {
    let pickup = parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?;
    let (id, sealed) = match table {
        SealedTable::PersonalData => (pickup.to_string(), personal_sealed(row)?),
        SealedTable::Outbox => (i(row, "id")?.to_string(), message_sealed(row)?),
        SealedTable::OldDocuments => (i(row, "id")?.to_string(), old_document_sealed(row)?),
    };
    Ok(SealedRow { row: id, pickup, sealed })
}

pub(crate) fn map_session(row: &PgRow) -> R<SessionRecord> {
    let queue: Vec<QueuedPickup> = serde_json::from_value(json(row, "queue")?).map_err(|_| corrupt("queue"))?;
    let state = SessionState {
        step: parsed(row, "step", Step::parse)?,
        ended: opt_parsed(row, "ended_reason", EndReason::parse)?,
        pin_attempts: u(row, "pin_attempts")?,
        third_factor_attempts: u(row, "third_factor_attempts")?,
        queue,
        position: usize::try_from(i(row, "position")?).map_err(|_| corrupt("position"))?,
        last_activity: t(row, "last_activity")?,
    };
    Ok(SessionRecord {
        id: parsed(row, "id", |v| SessionId::parse(v).ok())?,
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        token_id: s(row, "token_id")?,
        panel: parsed(row, "panel_id", |v| PanelId::parse(v).ok())?,
        state,
        phone_hash: keyed(row, "phone_key", "phone_hash")?,
        last_error: opt_s(row, "last_error")?,
        language: parsed(row, "language", abholbox_core::language::PanelLanguage::parse)?,
        created_at: t(row, "created_at")?,
        version: i(row, "version")?,
    })
}

pub(crate) fn map_token(row: &PgRow) -> R<TokenRecord> {
    Ok(TokenRecord {
        id: s(row, "id")?,
        role: parsed(row, "role", Role::parse)?,
        box_id: opt_parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        panel: opt_parsed(row, "panel_id", |v| PanelId::parse(v).ok())?,
        hash: blob(row, "hash")?.ok_or_else(|| corrupt("hash"))?,
        label: s(row, "label")?,
        created_at: t(row, "created_at")?,
        revoked_at: opt_t(row, "revoked_at")?,
    })
}

pub(crate) fn map_event(row: &PgRow) -> R<EventRecord> {
    Ok(EventRecord {
        cursor: i(row, "cursor")?,
        pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
        kind: s(row, "kind")?,
        at: t(row, "at")?,
        data: json(row, "data")?,
    })
}

pub(crate) fn map_audit(row: &PgRow) -> R<AuditRecord> {
    Ok(AuditRecord {
        id: i(row, "id")?,
        at: t(row, "at")?,
        actor: s(row, "actor")?,
        action: s(row, "action")?,
        object: s(row, "object")?,
        detail: json(row, "detail")?,
        position: row.try_get::<Option<i64>, _>("position").map_err(|_| corrupt("position"))?,
        link: keyed(row, "link_key", "link")?,
        seal: keyed(row, "seal_key", "seal")?,
        nonce: blob(row, "nonce")?,
    })
}

pub(crate) fn map_outbox(row: &PgRow) -> R<OutboxRecord> {
    Ok(OutboxRecord {
        id: i(row, "id")?,
        message_id: s(row, "message_id")?,
        due_at: t(row, "due_at")?,
        pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
        purpose: s(row, "purpose")?,
        sealed: message_sealed(row)?,
        attempts: u(row, "attempts")?,
        created_at: t(row, "created_at")?,
    })
}

pub(crate) fn map_outbox_status(row: &PgRow) -> R<OutboxStatus> {
    Ok(OutboxStatus {
        id: i(row, "id")?,
        message_id: s(row, "message_id")?,
        purpose: s(row, "purpose")?,
        state: parsed(row, "state", DeliveryState::parse)?,
        state_at: opt_t(row, "state_at")?,
        segments: u(row, "segments")?,
        gateway: opt_s(row, "gateway")?,
        attempts: u(row, "attempts")?,
        sent_at: opt_t(row, "sent_at")?,
        last_error: opt_s(row, "last_error")?,
        holds_content: b(row, "holds_content")?,
        dropped_at: opt_t(row, "dropped_at")?,
    })
}

pub(crate) fn map_box_event(row: &PgRow) -> R<BoxEventRecord> {
    Ok(BoxEventRecord {
        id: i(row, "id")?,
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        door: parsed(row, "door", DoorMove::parse)?,
        compartment: compartment_no(i(row, "compartment")?, "compartment")?,
        at: t(row, "at")?,
        item_inside: opt_bool(row, "item_inside")?,
        attempts: u(row, "attempts")?,
    })
}

pub(crate) fn map_alarm(row: &PgRow) -> R<AlarmRecord> {
    Ok(AlarmRecord {
        id: i(row, "id")?,
        kind: s(row, "kind")?,
        site: parsed(row, "site_id", |v| SiteId::parse(v).ok())?,
        box_id: opt_parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        panel: opt_parsed(row, "panel_id", |v| PanelId::parse(v).ok())?,
        compartment: opt_compartment(row, "compartment")?,
        raised_at: t(row, "raised_at")?,
        detail: json(row, "detail")?,
        acknowledged_at: opt_t(row, "acknowledged_at")?,
        acknowledged_by: opt_s(row, "acknowledged_by")?,
    })
}

/// A staff session joined with its account (session columns prefixed `session_`).
pub(crate) fn map_staff_session(row: &PgRow) -> R<(abholbox_store::StaffSessionRecord, StaffRecord)> {
    let session = abholbox_store::StaffSessionRecord {
        id: blob(row, "session_id")?.ok_or_else(|| corrupt("session_id"))?,
        staff_id: s(row, "id")?,
        created_at: t(row, "session_created_at")?,
        last_seen_at: t(row, "session_last_seen_at")?,
    };
    Ok((session, map_staff(row)?))
}

pub(crate) fn map_bin_item(row: &PgRow) -> R<abholbox_store::BinItem> {
    Ok(abholbox_store::BinItem {
        id: i(row, "id")?,
        pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
        sealed: old_document_sealed(row)?,
        taken_at: t(row, "taken_at")?,
    })
}

pub(crate) fn map_bin_emptying(row: &PgRow) -> R<abholbox_store::BinEmptyingRecord> {
    Ok(abholbox_store::BinEmptyingRecord {
        id: i(row, "id")?,
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        emptied_at: t(row, "emptied_at")?,
        emptied_by: s(row, "emptied_by")?,
        countersigned_by: s(row, "countersigned_by")?,
        counted: u(row, "counted")?,
        expected: u(row, "expected")?,
    })
}

pub(crate) fn map_staff(row: &PgRow) -> R<StaffRecord> {
    let sites = s(row, "sites")?
        .split_whitespace()
        .map(|v| SiteId::parse(v).map_err(|_| corrupt("sites")))
        .collect::<R<Vec<_>>>()?;
    Ok(StaffRecord {
        id: s(row, "id")?,
        name: s(row, "name")?,
        role: parsed(row, "role", abholbox_core::staff::StaffRole::parse)?,
        sites,
        password_hash: s(row, "password_hash")?,
        created_at: t(row, "created_at")?,
        disabled_at: opt_t(row, "disabled_at")?,
        failed_sign_ins: u(row, "failed_sign_ins")?,
        last_failed_at: opt_t(row, "last_failed_at")?,
    })
}
