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
use sqlx::sqlite::SqliteRow;

use crate::corrupt;
use crate::time::parse_ts;

type R<T> = Result<T, StoreError>;

pub(crate) fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(Box::new(e))
}

/// Maps a unique-constraint violation to the rule it enforces; anything else is a database error.
/// SQLite names the columns, not the index, in its message, so the columns identify the rule.
pub(crate) fn write_err(e: rusqlite::Error) -> StoreError {
    if is_busy(&e) {
        return StoreError::Retry;
    }
    if let rusqlite::Error::SqliteFailure(failure, message) = &e
        && matches!(
            failure.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    {
        let msg = message.as_deref().unwrap_or_default();
        for (columns, rule) in [
            ("pickups.site_id, pickups.reference", Rule::PickupReference),
            ("pickups.site_id, pickups.document_number", Rule::PickupDocumentNumber),
            ("pickups.box_id, pickups.compartment", Rule::CompartmentHoldsOne),
            ("pickups.claimed_by", Rule::OneClaimPerSession),
            ("staff.name", Rule::StaffName),
            ("compartments.box_id, compartments.label", Rule::CompartmentLabel),
        ] {
            if msg.contains(columns) {
                return StoreError::Conflict(rule);
            }
        }
        return StoreError::Conflict(Rule::Identity);
    }
    db(e)
}

/// Another process held SQLite's write lock for longer than the busy timeout: the write may be
/// tried again, which is what callers hear (not an internal error).
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy)
}

/// A row of either driver: the read pool's (sqlx) or the writer's ([`crate::writer::OwnedRow`]), so
/// that one set of mappers serves both.
pub(crate) trait Columns {
    fn text(&self, col: &'static str) -> R<Option<String>>;
    fn int(&self, col: &'static str) -> R<Option<i64>>;
    fn bytes(&self, col: &'static str) -> R<Option<Vec<u8>>>;
}

impl Columns for SqliteRow {
    fn text(&self, col: &'static str) -> R<Option<String>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }

    fn int(&self, col: &'static str) -> R<Option<i64>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }

    fn bytes(&self, col: &'static str) -> R<Option<Vec<u8>>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }
}

fn s(row: &impl Columns, col: &'static str) -> R<String> {
    row.text(col)?.ok_or_else(|| corrupt(col))
}

fn opt_s(row: &impl Columns, col: &'static str) -> R<Option<String>> {
    row.text(col)
}

pub(crate) fn i(row: &impl Columns, col: &'static str) -> R<i64> {
    row.int(col)?.ok_or_else(|| corrupt(col))
}

fn u(row: &impl Columns, col: &'static str) -> R<u32> {
    u32::try_from(i(row, col)?).map_err(|_| corrupt(col))
}

fn b(row: &impl Columns, col: &'static str) -> R<bool> {
    Ok(i(row, col)? != 0)
}

fn blob(row: &impl Columns, col: &'static str) -> R<Option<Vec<u8>>> {
    row.bytes(col)
}

fn t(row: &impl Columns, col: &'static str) -> R<DateTime<Utc>> {
    parse_ts(&s(row, col)?, col)
}

fn opt_t(row: &impl Columns, col: &'static str) -> R<Option<DateTime<Utc>>> {
    opt_s(row, col)?.map(|v| parse_ts(&v, col)).transpose()
}

fn parsed<T>(row: &impl Columns, col: &'static str, f: impl FnOnce(&str) -> Option<T>) -> R<T> {
    f(&s(row, col)?).ok_or_else(|| corrupt(col))
}

fn opt_parsed<T>(row: &impl Columns, col: &'static str, f: impl FnOnce(&str) -> Option<T>) -> R<Option<T>> {
    opt_s(row, col)?.map(|v| f(&v).ok_or_else(|| corrupt(col))).transpose()
}

fn keyed(row: &impl Columns, key_col: &'static str, hash_col: &'static str) -> R<Option<KeyedHash>> {
    Ok(match (opt_s(row, key_col)?, blob(row, hash_col)?) {
        (Some(key_id), Some(hash)) => Some(KeyedHash { key_id, hash }),
        _ => None,
    })
}

fn opt_bool(row: &impl Columns, col: &'static str) -> R<Option<bool>> {
    Ok(row.int(col)?.map(|v| v != 0))
}

fn opt_compartment(row: &impl Columns, col: &'static str) -> R<Option<CompartmentNo>> {
    row.int(col)?.map(|n| compartment_no(n, col)).transpose()
}

pub(crate) fn compartment_no(n: i64, col: &'static str) -> R<CompartmentNo> {
    u32::try_from(n).ok().and_then(CompartmentNo::new).ok_or_else(|| corrupt(col))
}

pub(crate) fn map_site(row: &impl Columns) -> R<SiteRecord> {
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

pub(crate) fn map_box(row: &impl Columns) -> R<BoxRecord> {
    Ok(BoxRecord {
        id: parsed(row, "id", |v| BoxId::parse(v).ok())?,
        site: parsed(row, "site_id", |v| SiteId::parse(v).ok())?,
        name: s(row, "name")?,
        driver: s(row, "driver")?,
    })
}

pub(crate) fn map_box_summary(row: &impl Columns) -> R<BoxSummary> {
    Ok(BoxSummary {
        record: map_box(row)?,
        compartments: u(row, "compartments")?,
        free: u(row, "free")?,
        free_within_reach: u(row, "free_within_reach")?,
        defective: u(row, "defective")?,
        last_compartment: u(row, "last_compartment")?,
    })
}

pub(crate) fn map_compartment(row: &impl Columns) -> R<CompartmentRecord> {
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
        pickup: opt_s(row, "pickup_id")?.map(|v| PickupId::parse(&v).map_err(|_| corrupt("pickup_id"))).transpose()?,
    })
}

/// A PIN hash from `pin_key`, `pin_salt` and `pin_hash`.
pub(crate) fn map_pin(row: &impl Columns) -> R<PinHash> {
    opt_pin(row)?.ok_or_else(|| corrupt("pin_hash"))
}

fn opt_pin(row: &impl Columns) -> R<Option<PinHash>> {
    Ok(match (opt_s(row, "pin_key")?, blob(row, "pin_salt")?, blob(row, "pin_hash")?) {
        (Some(key_id), Some(salt), Some(hash)) => Some(PinHash { key_id, salt, hash }),
        _ => None,
    })
}

pub(crate) fn map_pickup(row: &impl Columns) -> R<PickupRecord> {
    let pin = opt_pin(row)?;
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
        box_id: opt_s(row, "box_id")?.map(|v| BoxId::parse(&v).map_err(|_| corrupt("box_id"))).transpose()?,
        compartment: row.int("compartment")?.map(|n| compartment_no(n, "compartment")).transpose()?,
        locked: b(row, "locked")?,
        failed_pin_attempts: u(row, "failed_pin_attempts")?,
        failed_third_factor_attempts: u(row, "failed_third_factor_attempts")?,
        claimed_by: opt_s(row, "claimed_by")?
            .map(|v| SessionId::parse(&v).map_err(|_| corrupt("claimed_by")))
            .transpose()?,
        claimed_at: opt_t(row, "claimed_at")?,
        door_opened_at: opt_t(row, "door_opened_at")?,
        phone_hash: keyed(row, "phone_key", "phone_hash")?,
        pin,
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
fn sealed<T: Serialize>(row: &impl Columns, clear: impl FnOnce() -> R<T>) -> R<Sealed> {
    Sealed::from_columns(s(row, "key_id")?, blob(row, "sealed")?, clear)?.ok_or_else(|| corrupt("sealed"))
}

fn personal_sealed(row: &impl Columns) -> R<Sealed> {
    sealed(row, || {
        Ok(PersonalFields {
            phone: s(row, "phone_e164")?,
            birth_date: opt_s(row, "birth_date")?,
            old_document_number: opt_s(row, "old_document_number")?,
        })
    })
}

fn message_sealed(row: &impl Columns) -> R<Sealed> {
    sealed(row, || Ok(MessageFields { recipient: s(row, "recipient")?, body: s(row, "body")? }))
}

fn old_document_sealed(row: &impl Columns) -> R<Sealed> {
    sealed(row, || Ok(OldDocumentFields { document_number: s(row, "document_number")? }))
}

pub(crate) fn map_personal(row: &impl Columns) -> R<PersonalRecord> {
    Ok(PersonalRecord { pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?, sealed: personal_sealed(row)? })
}

/// A row of `table` as [`abholbox_store::Tx::sealed_not_under`] returns it.
pub(crate) fn map_sealed_row(table: SealedTable, row: &impl Columns) -> R<SealedRow> {
    let pickup = parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?;
    let (id, sealed) = match table {
        SealedTable::PersonalData => (pickup.to_string(), personal_sealed(row)?),
        SealedTable::Outbox => (i(row, "id")?.to_string(), message_sealed(row)?),
        SealedTable::OldDocuments => (i(row, "id")?.to_string(), old_document_sealed(row)?),
    };
    Ok(SealedRow { row: id, pickup, sealed })
}

pub(crate) fn map_session(row: &impl Columns) -> R<SessionRecord> {
    let queue: Vec<QueuedPickup> = serde_json::from_str(&s(row, "queue")?).map_err(|_| corrupt("queue"))?;
    let state = SessionState {
        step: parsed(row, "step", Step::parse)?,
        ended: opt_s(row, "ended_reason")?
            .map(|v| EndReason::parse(&v).ok_or_else(|| corrupt("ended_reason")))
            .transpose()?,
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

pub(crate) fn map_token(row: &impl Columns) -> R<TokenRecord> {
    Ok(TokenRecord {
        id: s(row, "id")?,
        role: parsed(row, "role", Role::parse)?,
        box_id: opt_s(row, "box_id")?.map(|v| BoxId::parse(&v).map_err(|_| corrupt("box_id"))).transpose()?,
        panel: opt_parsed(row, "panel_id", |v| PanelId::parse(v).ok())?,
        hash: blob(row, "hash")?.ok_or_else(|| corrupt("hash"))?,
        label: s(row, "label")?,
        created_at: t(row, "created_at")?,
        revoked_at: opt_t(row, "revoked_at")?,
    })
}

pub(crate) fn map_event(row: &impl Columns) -> R<EventRecord> {
    Ok(EventRecord {
        cursor: i(row, "cursor")?,
        pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
        kind: s(row, "kind")?,
        at: t(row, "at")?,
        data: serde_json::from_str(&s(row, "data")?).map_err(|_| corrupt("data"))?,
    })
}

pub(crate) fn map_audit(row: &impl Columns) -> R<AuditRecord> {
    Ok(AuditRecord {
        id: i(row, "id")?,
        at: t(row, "at")?,
        actor: s(row, "actor")?,
        action: s(row, "action")?,
        object: s(row, "object")?,
        detail: serde_json::from_str(&s(row, "detail")?).map_err(|_| corrupt("detail"))?,
        position: row.int("position")?,
        link: keyed(row, "link_key", "link")?,
        seal: keyed(row, "seal_key", "seal")?,
        nonce: blob(row, "nonce")?,
    })
}

pub(crate) fn map_outbox(row: &impl Columns) -> R<OutboxRecord> {
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

pub(crate) fn map_outbox_status(row: &impl Columns) -> R<OutboxStatus> {
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

pub(crate) fn map_panel(row: &impl Columns) -> R<PanelRecord> {
    Ok(PanelRecord {
        box_id: parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        id: parsed(row, "id", |v| PanelId::parse(v).ok())?,
        reader_slot: u(row, "reader_slot").and_then(|n| SlotNo::new(n).ok_or_else(|| corrupt("reader_slot")))?,
    })
}

pub(crate) fn map_box_event(row: &impl Columns) -> R<BoxEventRecord> {
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

pub(crate) fn map_alarm(row: &impl Columns) -> R<AlarmRecord> {
    Ok(AlarmRecord {
        id: i(row, "id")?,
        kind: s(row, "kind")?,
        site: parsed(row, "site_id", |v| SiteId::parse(v).ok())?,
        box_id: opt_parsed(row, "box_id", |v| BoxId::parse(v).ok())?,
        panel: opt_parsed(row, "panel_id", |v| PanelId::parse(v).ok())?,
        compartment: opt_compartment(row, "compartment")?,
        raised_at: t(row, "raised_at")?,
        detail: serde_json::from_str(&s(row, "detail")?).map_err(|_| corrupt("detail"))?,
        acknowledged_at: opt_t(row, "acknowledged_at")?,
        acknowledged_by: opt_s(row, "acknowledged_by")?,
    })
}

/// A staff session joined with its account (session columns prefixed `session_`).
pub(crate) fn map_staff_session(row: &impl Columns) -> R<(abholbox_store::StaffSessionRecord, StaffRecord)> {
    let session = abholbox_store::StaffSessionRecord {
        id: blob(row, "session_id")?.ok_or_else(|| corrupt("session_id"))?,
        staff_id: s(row, "id")?,
        created_at: t(row, "session_created_at")?,
        last_seen_at: t(row, "session_last_seen_at")?,
    };
    Ok((session, map_staff(row)?))
}

pub(crate) fn map_bin_item(row: &impl Columns) -> R<abholbox_store::BinItem> {
    Ok(abholbox_store::BinItem {
        id: i(row, "id")?,
        pickup: parsed(row, "pickup_id", |v| PickupId::parse(v).ok())?,
        sealed: old_document_sealed(row)?,
        taken_at: t(row, "taken_at")?,
    })
}

pub(crate) fn map_bin_emptying(row: &impl Columns) -> R<abholbox_store::BinEmptyingRecord> {
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

pub(crate) fn map_staff(row: &impl Columns) -> R<StaffRecord> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_worth_another_try_and_a_duplicate_names_its_rule() {
        let failure = |code, message: &str| {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.to_owned()))
        };
        assert!(matches!(write_err(failure(rusqlite::ffi::SQLITE_BUSY, "database is locked")), StoreError::Retry));
        assert!(matches!(
            write_err(failure(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: staff.name")),
            StoreError::Conflict(Rule::StaffName)
        ));
        assert!(matches!(write_err(failure(rusqlite::ffi::SQLITE_IOERR, "disk I/O error")), StoreError::Database(_)));
    }
}
