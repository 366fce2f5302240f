//! The write transaction: every state change and what follows from it, committed once.

use std::sync::LazyLock;

use abholbox_core::compartment::{Candidate, CompartmentState, Defect, SizeClass};
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, PickupId, SessionId, SiteId};
use abholbox_core::kiosk::Step;
use abholbox_store::{
    AuditRecord, BoxRecord, CLEAR_KEY_ID, CompartmentRecord, FamilyPin, KeyedHash, MessageRef, NewAlarm, NewAuditEntry,
    NewBoxEvent, NewCompartment, NewEvent, NewOutboxMessage, OldDocumentRecord, PanelRecord, PersonalRecord,
    PickupRecord, PinHash, Result, Sealed, SealedRow, SealedTable, SessionRecord, SiteRecord, StoreError, TokenRecord,
    Tx,
};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};

use crate::rows::{
    compartment_no, db, map_audit, map_box, map_compartment, map_panel, map_personal, map_pickup, map_sealed_row,
    map_session, map_site, write_err,
};
use crate::time::ts;

pub(crate) struct SqliteTx {
    /// The writer, timed, given back when the transaction ends (its release, or its rollback on drop).
    pub(crate) permit: crate::WritePermit,
    /// Told the keys this transaction changed once it committed.
    pub(crate) changes: std::sync::Arc<abholbox_store::Changes>,
    pub(crate) touched: Vec<String>,
    /// Seals the audit entries this transaction writes.
    pub(crate) seal: abholbox_store::AuditSeal,
}

impl SqliteTx {
    fn w(&self) -> &crate::writer::Held {
        &self.permit.held
    }
}

/// An audit entry with the site it is about, resolved from its object as it is written, so that the
/// entry stays readable by that site's supervisors after the object's row is gone (`?4` is the object).
const AUDIT_INSERT: &str = "INSERT INTO audit_log (at, actor, action, object, detail, seal_key, seal, nonce, site_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE
        WHEN ?4 LIKE 'box:%' THEN (SELECT site_id FROM boxes WHERE id = substr(?4, 5))
        WHEN ?4 LIKE 'site:%' THEN substr(?4, 6)
        WHEN ?4 LIKE 'alarm:%' THEN (SELECT site_id FROM alarms WHERE id = CAST(substr(?4, 7) AS INTEGER))
        WHEN ?4 LIKE 'session:%' THEN (SELECT b.site_id FROM kiosk_sessions k
            JOIN boxes b ON b.id = k.box_id WHERE k.id = substr(?4, 9))
        ELSE (SELECT site_id FROM pickups WHERE id = ?4)
    END)";

const PICKUP_COLUMNS: &str = "id, reference, site_id, document_kind, document_number, third_factor, language,
    low_compartment, status, box_id, compartment, locked, failed_pin_attempts, failed_third_factor_attempts,
    claimed_by, claimed_at, door_opened_at, phone_key, phone_hash, pin_key, pin_salt, pin_hash, ready_at, deadline,
    collected_at, withdrawal_started_at, attention, handled_by, created_at, updated_at, version";

/// [`PICKUP_COLUMNS`] one by one, `version` last.
static PICKUP_COLUMN_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| PICKUP_COLUMNS.split(',').map(str::trim).collect());

/// A pickup's stored columns but its version, in [`pickup_values`]' order, if it still has the version.
static STORED_PICKUP: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {PICKUP_COLUMNS} FROM pickups WHERE id = ? AND version = ?"));

/// The placeholders for [`PICKUP_COLUMNS`].
const PICKUP_VALUES: &str =
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

fn opt_blob(b: Option<&[u8]>) -> Value {
    b.map_or(Value::Null, |b| Value::Blob(b.to_vec()))
}

/// The values for [`PICKUP_COLUMNS`], in order.
fn pickup_values(p: &PickupRecord) -> Vec<Value> {
    vec![
        text(p.id.as_str()),
        text(p.reference.as_str()),
        text(p.site.as_str()),
        text(p.document_kind.as_str()),
        opt_text(p.document_number.as_deref()),
        text(p.third_factor.as_str()),
        text(p.language.code()),
        p.low_compartment.into(),
        text(p.status.as_str()),
        opt_text(p.box_id.as_ref().map(BoxId::as_str)),
        p.compartment.map(|c| i64::from(c.get())).into(),
        p.locked.into(),
        i64::from(p.failed_pin_attempts).into(),
        i64::from(p.failed_third_factor_attempts).into(),
        opt_text(p.claimed_by.as_ref().map(SessionId::as_str)),
        p.claimed_at.map(ts).into(),
        p.door_opened_at.map(ts).into(),
        opt_text(p.phone_hash.as_ref().map(|h| h.key_id.as_str())),
        opt_blob(p.phone_hash.as_ref().map(|h| h.hash.as_slice())),
        opt_text(p.pin.as_ref().map(|h| h.key_id.as_str())),
        opt_blob(p.pin.as_ref().map(|h| h.salt.as_slice())),
        opt_blob(p.pin.as_ref().map(|h| h.hash.as_slice())),
        p.ready_at.map(ts).into(),
        p.deadline.map(ts).into(),
        p.collected_at.map(ts).into(),
        p.withdrawal_started_at.map(ts).into(),
        opt_text(p.attention.map(|a| a.as_str())),
        opt_text(p.handled_by.as_deref()),
        ts(p.created_at).into(),
        ts(p.updated_at).into(),
    ]
}

/// A session's changing columns, from `step` to `version`, as both its insert and its update name them.
fn session_state_values(s: &SessionRecord, version: i64) -> Result<Vec<Value>> {
    Ok(vec![
        text(s.state.step.as_str()),
        opt_text(s.state.ended.map(|r| r.as_str())),
        i64::from(s.state.pin_attempts).into(),
        i64::from(s.state.third_factor_attempts).into(),
        serde_json::to_string(&s.state.queue).map_err(db)?.into(),
        i64::try_from(s.state.position).map_err(db)?.into(),
        opt_text(s.phone_hash.as_ref().map(|h| h.key_id.as_str())),
        opt_blob(s.phone_hash.as_ref().map(|h| h.hash.as_slice())),
        opt_text(s.last_error.as_deref()),
        ts(s.state.last_activity).into(),
        version.into(),
    ])
}

/// The lowest `?2` free compartments of each size and reach, each kind a seek into the
/// `compartments_free` index.
const FREE_FEW_OF_EACH_KIND: &str = "SELECT number, size, within_reach FROM (
    SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 's' AND within_reach = 0 ORDER BY number LIMIT ?2) AS s0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 's' AND within_reach = 1 ORDER BY number LIMIT ?2) AS s1
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 'm' AND within_reach = 0 ORDER BY number LIMIT ?2) AS m0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 'm' AND within_reach = 1 ORDER BY number LIMIT ?2) AS m1
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 'l' AND within_reach = 0 ORDER BY number LIMIT ?2) AS l0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' AND size = 'l' AND within_reach = 1 ORDER BY number LIMIT ?2) AS l1
) AS few ORDER BY number";

#[async_trait]
impl Tx for SqliteTx {
    /// The write joins those waiting for the next flush, gives the writer back to the next write,
    /// and waits for that flush (see [`crate::writer`]). Those waiting for the keys it changed are
    /// told by the flush, so that a caller gone meanwhile (a request cut off) cannot leave them
    /// unwoken; the write is durable once the flush is done, whether or not its caller still waits.
    async fn commit(mut self: Box<Self>) -> Result<()> {
        let touched = std::mem::take(&mut self.touched);
        let (flush, first) = self.permit.held.release(touched)?;
        if first {
            crate::writer::queue_flush(self.permit.held.writer().clone(), self.changes.clone());
        }
        drop(self);
        flush.wait().await
    }

    async fn upsert_site(&mut self, site: &SiteRecord) -> Result<()> {
        self.w().execute("INSERT INTO sites (id, name, address, time_zone, opening_hours, holiday_state, open_24_7, four_eyes, counter_phone,
                pin_letter_kinds)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                time_zone = excluded.time_zone, opening_hours = excluded.opening_hours,
                holiday_state = excluded.holiday_state, open_24_7 = excluded.open_24_7,
                four_eyes = excluded.four_eyes, counter_phone = excluded.counter_phone,
                pin_letter_kinds = excluded.pin_letter_kinds", params![site.id.as_str(), &site.name, &site.address, &site.time_zone, site.opening_hours.as_deref(), &site.holiday_state, site.open_24_7, site.four_eyes, site.counter_phone.as_deref(), site.pin_letter_kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")])?;
        Ok(())
    }

    async fn remove_free_compartments(&mut self, box_id: &BoxId, keep: &[CompartmentNo]) -> Result<Vec<CompartmentNo>> {
        let keep: Vec<i64> = keep.iter().map(|c| i64::from(c.get())).collect();
        let keep = serde_json::to_string(&keep).map_err(db)?;
        self.w().execute(
            "DELETE FROM compartments WHERE box_id = ?1 AND state = 'free'
               AND number NOT IN (SELECT value FROM json_each(?2))
               AND NOT EXISTS (SELECT 1 FROM pickups p WHERE p.box_id = ?1 AND p.compartment = compartments.number)",
            params![box_id.as_str(), &keep],
        )?;
        let rows = self.w().fetch_all(
            "SELECT number FROM compartments WHERE box_id = ? AND number NOT IN (SELECT value FROM json_each(?))
             ORDER BY number",
            params![box_id.as_str(), &keep],
        )?;
        rows.iter().map(|r| compartment_no(r.try_get("number").map_err(db)?, "number")).collect()
    }

    async fn compartments(&mut self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>> {
        let rows = self.w().fetch_all(crate::COMPARTMENT_SELECT, params![box_id.as_str()])?;
        rows.iter().map(map_compartment).collect()
    }

    async fn upsert_box(
        &mut self,
        b: &BoxRecord,
        compartments: &[NewCompartment],
        panels: &[PanelRecord],
    ) -> Result<()> {
        self.w().execute(
            "INSERT INTO boxes (id, site_id, name, driver) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name,
                                            driver = excluded.driver",
            params![b.id.as_str(), b.site.as_str(), &b.name, &b.driver],
        )?;
        // Labels are unique per box and may move from one free compartment to another in either
        // direction: the free ones give theirs up first, so none collides with one not written yet.
        self.w().execute(
            "UPDATE compartments SET label = '#' || number
             WHERE box_id = ? AND state = 'free' AND NOT EXISTS (SELECT 1 FROM pickups p
                WHERE p.box_id = compartments.box_id AND p.compartment = compartments.number)",
            params![b.id.as_str()],
        )?;
        for c in compartments {
            self.w().execute(
                "INSERT INTO compartments (box_id, number, label, module, row_no, column_no, size, within_reach, state)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'free')
                 ON CONFLICT (box_id, number) DO UPDATE SET label = excluded.label, module = excluded.module,
                    row_no = excluded.row_no, column_no = excluded.column_no, size = excluded.size,
                    within_reach = excluded.within_reach
                 WHERE compartments.state = 'free' AND NOT EXISTS (SELECT 1 FROM pickups p
                    WHERE p.box_id = compartments.box_id AND p.compartment = compartments.number)",
                params![
                    b.id.as_str(),
                    i64::from(c.number.get()),
                    &c.label,
                    &c.module,
                    i64::from(c.row),
                    i64::from(c.column),
                    c.size.as_str(),
                    c.within_reach
                ],
            )?;
        }
        self.w().execute("DELETE FROM panels WHERE box_id = ?", params![b.id.as_str()])?;
        for p in panels {
            self.w().execute(
                "INSERT INTO panels (box_id, id, reader_slot) VALUES (?, ?, ?)",
                params![b.id.as_str(), p.id.as_str(), i64::from(p.reader_slot.get())],
            )?;
        }
        Ok(())
    }

    async fn site(&mut self, id: &SiteId) -> Result<Option<SiteRecord>> {
        let row = self.w().fetch_optional("SELECT * FROM sites WHERE id = ?", params![id.as_str()])?;
        row.as_ref().map(map_site).transpose()
    }

    async fn box_record(&mut self, id: &BoxId) -> Result<Option<BoxRecord>> {
        let row = self.w().fetch_optional("SELECT * FROM boxes WHERE id = ?", params![id.as_str()])?;
        row.as_ref().map(map_box).transpose()
    }

    async fn insert_staff(&mut self, staff: &abholbox_store::StaffRecord) -> Result<()> {
        let sites: Vec<&str> = staff.sites.iter().map(SiteId::as_str).collect();
        self.w().execute("INSERT INTO staff (id, name, role, sites, password_hash, created_at, disabled_at, failed_sign_ins, last_failed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", params![&staff.id, &staff.name, staff.role.as_str(), sites.join(" "), &staff.password_hash, ts(staff.created_at), staff.disabled_at.map(ts), i64::from(staff.failed_sign_ins), staff.last_failed_at.map(ts)])?;
        Ok(())
    }

    async fn book_sign_in(
        &mut self,
        id: &str,
        seen: (u32, Option<DateTime<Utc>>),
        failures: u32,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE staff SET failed_sign_ins = ?, last_failed_at = ?
             WHERE id = ? AND failed_sign_ins = ? AND last_failed_at IS ?",
            params![i64::from(failures), ts(at), id, i64::from(seen.0), seen.1.map(ts)],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn clear_sign_in_failures(&mut self, id: &str) -> Result<()> {
        self.w().execute("UPDATE staff SET failed_sign_ins = 0, last_failed_at = NULL WHERE id = ?", params![id])?;
        Ok(())
    }

    async fn set_staff_password(&mut self, id: &str, password_hash: &str) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE staff SET password_hash = ?, failed_sign_ins = 0, last_failed_at = NULL WHERE id = ?",
            params![password_hash, id],
        )?;
        self.w().execute("DELETE FROM staff_sessions WHERE staff_id = ?", params![id])?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_staff(
        &mut self,
        id: &str,
        role: abholbox_core::staff::StaffRole,
        sites: &[SiteId],
        disabled_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let sites = sites.iter().map(SiteId::as_str).collect::<Vec<_>>().join(" ");
        let done = self.w().execute(
            "UPDATE staff SET role = ?, sites = ?, disabled_at = ? WHERE id = ?",
            params![role.as_str(), sites, disabled_at.map(ts), id],
        )?;
        if disabled_at.is_some() {
            self.w().execute("DELETE FROM staff_sessions WHERE staff_id = ?", params![id])?;
        }
        Ok(done.rows_affected() == 1)
    }

    async fn open_service_opening(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<i64>> {
        let row = self.w().fetch_optional(
            "SELECT id FROM service_openings WHERE box_id = ? AND compartment = ? AND closed_at IS NULL",
            params![box_id.as_str(), i64::from(number.get())],
        )?;
        row.map(|r| r.try_get::<i64, _>("id").map_err(db)).transpose()
    }

    async fn insert_service_opening(&mut self, o: &abholbox_store::NewServiceOpening) -> Result<i64> {
        self.w()
            .fetch_one(
                "INSERT INTO service_openings (box_id, compartment, opened_by, witnessed_by, reason, opened_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                params![
                    o.box_id.as_str(),
                    i64::from(o.compartment.get()),
                    &o.opened_by,
                    o.witnessed_by.as_deref(),
                    &o.reason,
                    ts(o.at)
                ],
            )?
            .try_get("id")
            .map_err(db)
    }

    async fn close_service_opening(&mut self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.w().execute(
            "UPDATE service_openings SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
            params![ts(at), id],
        )?;
        Ok(())
    }

    /// The writer is held: nothing else writes until this transaction ends.
    async fn newest_bin_emptying(&mut self, box_id: &BoxId) -> Result<i64> {
        let row = self.w().fetch_one(
            "SELECT COALESCE(MAX(id), 0) AS newest FROM bin_emptyings WHERE box_id = ?",
            params![box_id.as_str()],
        )?;
        row.try_get("newest").map_err(db)
    }

    /// The writer is held: nothing else writes until this transaction ends.
    async fn lock_compartment(&mut self, _box_id: &BoxId, _number: CompartmentNo) -> Result<()> {
        Ok(())
    }

    async fn record_bin_emptying(
        &mut self,
        e: &abholbox_store::NewBinEmptying,
    ) -> Result<abholbox_store::BinEmptyingRecord> {
        let id: i64 = self
            .w()
            .fetch_one(
                "INSERT INTO bin_emptyings (box_id, emptied_at, emptied_by, countersigned_by, counted, expected)
             VALUES (?, ?, ?, ?, ?, 0) RETURNING id",
                params![e.box_id.as_str(), ts(e.at), &e.emptied_by, &e.countersigned_by, i64::from(e.counted)],
            )?
            .try_get("id")
            .map_err(db)?;
        let taken = self
            .w()
            .execute(
                "UPDATE old_documents SET emptied_at = ?, emptying_id = ? WHERE box_id = ? AND emptied_at IS NULL",
                params![ts(e.at), id, e.box_id.as_str()],
            )?
            .rows_affected();
        let expected = u32::try_from(taken).unwrap_or(u32::MAX);
        self.w().execute("UPDATE bin_emptyings SET expected = ? WHERE id = ?", params![i64::from(expected), id])?;
        Ok(abholbox_store::BinEmptyingRecord {
            id,
            box_id: e.box_id.clone(),
            emptied_at: e.at,
            emptied_by: e.emptied_by.clone(),
            countersigned_by: e.countersigned_by.clone(),
            counted: e.counted,
            expected,
        })
    }

    async fn insert_staff_session(&mut self, session: &abholbox_store::StaffSessionRecord) -> Result<()> {
        self.w().execute(
            "INSERT INTO staff_sessions (id, staff_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
            params![session.id.as_slice(), &session.staff_id, ts(session.created_at), ts(session.last_seen_at)],
        )?;
        Ok(())
    }

    async fn touch_staff_session(&mut self, id: &[u8], at: DateTime<Utc>) -> Result<()> {
        self.w().execute("UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?", params![ts(at), id])?;
        Ok(())
    }

    async fn end_staff_session(&mut self, id: &[u8]) -> Result<bool> {
        let done = self.w().execute("DELETE FROM staff_sessions WHERE id = ?", params![id])?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_stale_staff_sessions(&mut self, idle_since: DateTime<Utc>, begun_since: DateTime<Utc>) -> Result<u64> {
        let done = self.w().execute(
            "DELETE FROM staff_sessions WHERE last_seen_at < ? OR created_at < ?",
            params![ts(idle_since), ts(begun_since)],
        )?;
        Ok(done.rows_affected())
    }

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        self.w().execute(
            "INSERT INTO api_tokens (id, role, box_id, panel_id, hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                &token.id,
                token.role.as_str(),
                token.box_id.as_ref().map(BoxId::as_str),
                token.panel.as_ref().map(PanelId::as_str),
                token.hash.as_slice(),
                &token.label,
                ts(token.created_at)
            ],
        )?;
        Ok(())
    }

    async fn revoke_token(&mut self, id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        let done = self
            .w()
            .execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", params![ts(at), id])?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_pickup(&mut self, pickup: &PickupRecord, personal: &PersonalRecord) -> Result<()> {
        self.touched.push(pickup.id.to_string());
        let sql = format!("INSERT INTO pickups ({PICKUP_COLUMNS}) VALUES ({PICKUP_VALUES})");
        let mut values = pickup_values(pickup);
        values.push(pickup.version.into());
        self.w().execute(&sql, rusqlite::params_from_iter(values))?;
        self.w().execute(
            "INSERT INTO personal_data (pickup_id, key_id, sealed) VALUES (?, ?, ?)",
            params![personal.pickup.as_str(), &personal.sealed.key_id, &personal.sealed.bytes],
        )?;
        Ok(())
    }

    async fn pickup(&mut self, id: &PickupId) -> Result<Option<PickupRecord>> {
        let row = self.w().fetch_optional("SELECT * FROM pickups WHERE id = ?", params![id.as_str()])?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_by_reference(&mut self, site: &SiteId, reference: &str) -> Result<Option<PickupRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM pickups WHERE site_id = ? AND reference = ?",
            params![site.as_str(), reference],
        )?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_by_document_number(&mut self, site: &SiteId, number: &str) -> Result<Option<PickupRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM pickups WHERE site_id = ? AND document_number = ?
               AND status NOT IN ('collected', 'withdrawn', 'cancelled')",
            params![site.as_str(), number],
        )?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_in_compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<PickupRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM pickups WHERE box_id = ? AND compartment = ?",
            params![box_id.as_str(), i64::from(number.get())],
        )?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn ready_pickups_for_phone(&mut self, box_id: &BoxId, phone_hash: &[u8]) -> Result<Vec<PickupRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM pickups WHERE box_id = ? AND phone_hash = ? AND status = 'ready' ORDER BY ready_at, id",
            params![box_id.as_str(), phone_hash],
        )?;
        rows.iter().map(map_pickup).collect()
    }

    async fn family_pin(&mut self, box_id: &BoxId, phone: &KeyedHash, pin: &PinHash) -> Result<FamilyPin> {
        self.w().execute(
            "DELETE FROM family_pins WHERE box_id = ?1 AND phone_hash = ?2 AND NOT EXISTS (
                SELECT 1 FROM pickups p WHERE p.box_id = ?1 AND p.phone_hash = ?2 AND p.status = 'ready'
                  AND p.locked = 0 AND p.pin_hash = family_pins.pin_hash)",
            params![box_id.as_str(), phone.hash.as_slice()],
        )?;
        let inserted = self.w().execute(
            "INSERT INTO family_pins (box_id, phone_key, phone_hash, pin_key, pin_salt, pin_hash)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (box_id, phone_hash) DO NOTHING",
            params![
                box_id.as_str(),
                &phone.key_id,
                phone.hash.as_slice(),
                &pin.key_id,
                pin.salt.as_slice(),
                pin.hash.as_slice()
            ],
        )?;
        if inserted.rows_affected() == 1 {
            return Ok(FamilyPin { pin: pin.clone(), new: true });
        }
        let row = self.w().fetch_one(
            "SELECT pin_key, pin_salt, pin_hash FROM family_pins WHERE box_id = ? AND phone_hash = ?",
            params![box_id.as_str(), phone.hash.as_slice()],
        )?;
        Ok(FamilyPin { pin: crate::rows::map_pin(&row)?, new: false })
    }

    /// Sets only the columns that changed. SQLite checks a constraint and rewrites an index on
    /// UPDATE only where the statement sets one of its columns; setting all of a pickup's columns
    /// rewrote all eleven of its indexes and built the lists of its `IN (…)` checks anew, each time.
    async fn update_pickup(&mut self, p: &PickupRecord) -> Result<bool> {
        self.touched.push(p.id.to_string());
        let conn = self.w().conn()?;
        let stored = conn
            .prepare_cached(&STORED_PICKUP)
            .map_err(db)?
            .query_row(params![p.id.as_str(), p.version], |row| {
                (0..PICKUP_COLUMN_NAMES.len() - 1).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>()
            })
            .optional()
            .map_err(write_err)?;
        let Some(stored) = stored else { return Ok(false) };
        let mut sql = String::from("UPDATE pickups SET ");
        let mut values = Vec::new();
        for ((name, value), was) in PICKUP_COLUMN_NAMES.iter().zip(pickup_values(p)).zip(stored) {
            if value != was {
                sql.push_str(name);
                sql.push_str(" = ?, ");
                values.push(value);
            }
        }
        sql.push_str("version = ? WHERE id = ? AND version = ?");
        values.extend([(p.version + 1).into(), text(p.id.as_str()), p.version.into()]);
        let done = self.w().execute(&sql, rusqlite::params_from_iter(values))?;
        Ok(done.rows_affected() == 1)
    }

    async fn pickups_in_flight(&mut self) -> Result<Vec<PickupRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM pickups WHERE status = 'depositing' OR (status = 'ready' AND claimed_by IS NOT NULL)",
            params![],
        )?;
        rows.iter().map(map_pickup).collect()
    }

    async fn pickups_due_to_expire(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<PickupRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM pickups WHERE status = 'ready' AND claimed_by IS NULL AND deadline <= ?
             ORDER BY deadline LIMIT ?",
            params![ts(now), i64::from(limit)],
        )?;
        rows.iter().map(map_pickup).collect()
    }

    async fn pickups_never_loaded(
        &mut self,
        registered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PickupRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM pickups WHERE status = 'awaiting_deposit' AND created_at < ?
             ORDER BY created_at LIMIT ?",
            params![ts(registered_before), i64::from(limit)],
        )?;
        rows.iter().map(map_pickup).collect()
    }

    async fn personal_data(&mut self, id: &PickupId) -> Result<Option<PersonalRecord>> {
        let row = self.w().fetch_optional("SELECT * FROM personal_data WHERE pickup_id = ?", params![id.as_str()])?;
        row.as_ref().map(map_personal).transpose()
    }

    async fn erase_personal_data(&mut self, id: &PickupId, family: Option<(&BoxId, &KeyedHash)>) -> Result<()> {
        self.w().execute("DELETE FROM personal_data WHERE pickup_id = ?", params![id.as_str()])?;
        if let Some((box_id, phone)) = family {
            self.leave_family(id, box_id, phone).await?;
        }
        self.w().execute(
            "UPDATE pickups SET phone_key = NULL, phone_hash = NULL, pin_key = NULL, pin_salt = NULL, pin_hash = NULL
             WHERE id = ?",
            params![id.as_str()],
        )?;
        self.w().execute(
            "UPDATE outbox SET key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE pickup_id = ? AND sent_at IS NOT NULL",
            params![id.as_str()],
        )?;
        Ok(())
    }

    async fn leave_family(&mut self, id: &PickupId, box_id: &BoxId, phone: &KeyedHash) -> Result<()> {
        self.w().execute(
            "DELETE FROM family_pins WHERE box_id = ?1 AND phone_hash = ?2 AND NOT EXISTS (
                SELECT 1 FROM pickups p WHERE p.box_id = ?1 AND p.phone_hash = ?2
                  AND p.pin_hash = family_pins.pin_hash AND p.id <> ?3)",
            params![box_id.as_str(), phone.hash.as_slice(), id.as_str()],
        )?;
        Ok(())
    }

    async fn pickups_with_phone_not_under(&mut self, key_id: &str, limit: u32) -> Result<Vec<PickupRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM pickups WHERE phone_hash IS NOT NULL AND (phone_key < ?1 OR phone_key > ?1) LIMIT ?2",
            params![key_id, i64::from(limit)],
        )?;
        rows.iter().map(map_pickup).collect()
    }

    async fn rekey_phone(&mut self, pickup: &PickupId, from: &KeyedHash, to: &KeyedHash) -> Result<bool> {
        self.w().execute(
            "UPDATE family_pins SET phone_key = ?, phone_hash = ?
             WHERE phone_hash = ? AND box_id = (SELECT box_id FROM pickups WHERE id = ?)",
            params![&to.key_id, &to.hash, &from.hash, pickup.as_str()],
        )?;
        self.touched.push(pickup.to_string());
        let done = self.w().execute(
            "UPDATE pickups SET phone_key = ?, phone_hash = ?, version = version + 1
             WHERE id = ? AND phone_hash = ?",
            params![&to.key_id, &to.hash, pickup.as_str(), &from.hash],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn pseudonymise_ended(&mut self, ended_before: DateTime<Utc>, at: DateTime<Utc>, limit: u32) -> Result<u64> {
        let rows = self.w().fetch_all(
            "UPDATE pickups SET reference = 'pseudonymised-' || id, document_number = NULL, pseudonymised_at = ?1,
                    version = version + 1
             WHERE id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL
                            AND updated_at < ?2 AND pseudonymised_at IS NULL ORDER BY updated_at LIMIT ?3)
             RETURNING id",
            params![ts(at), ts(ended_before), i64::from(limit)],
        )?;
        let ids = rows.iter().map(|r| r.try_get::<String, _>("id").map_err(db)).collect::<Result<Vec<_>>>()?;
        // The registry's reference leads to a person; the feed's copy of it goes with the pickup's.
        self.w().execute(
            "UPDATE events SET data = json_set(data, '$.reference', 'pseudonymised-' || pickup_id)
             WHERE pickup_id IN (SELECT value FROM json_each(?1)) AND json_type(data, '$.reference') IS NOT NULL",
            params![serde_json::Value::from(ids.clone()).to_string()],
        )?;
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    async fn delete_ended(&mut self, ended_before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let mut deleted = 0;
        for sql in [
            "DELETE FROM events WHERE pickup_id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < ?1 ORDER BY updated_at, id LIMIT ?2)",
            "DELETE FROM outbox WHERE pickup_id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < ?1 ORDER BY updated_at, id LIMIT ?2)",
            // An old document stays until its bin was emptied (its number is on the destruction record).
            "DELETE FROM old_documents WHERE id IN (SELECT id FROM old_documents WHERE emptied_at IS NOT NULL AND emptied_at < ?1 ORDER BY id LIMIT ?2)",
            "DELETE FROM pickups WHERE id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < ?1 ORDER BY updated_at, id LIMIT ?2)",
        ] {
            let done = self.w().execute(sql, params![ts(ended_before), i64::from(limit)])?;
            deleted = done.rows_affected();
        }
        Ok(deleted)
    }

    async fn delete_sessions(&mut self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let done = self.w().execute(
            "DELETE FROM kiosk_sessions WHERE id IN (SELECT id FROM kiosk_sessions
               WHERE created_at < ?1 AND step IN ('done', 'ended') LIMIT ?2)",
            params![ts(before), i64::from(limit)],
        )?;
        self.w().execute(
            "DELETE FROM panel_refusals WHERE id IN (SELECT id FROM panel_refusals WHERE at < ?1 LIMIT ?2)",
            params![ts(before), i64::from(limit)],
        )?;
        self.w().execute(
            "DELETE FROM box_events WHERE id IN (SELECT id FROM box_events
               WHERE at < ?1 AND (applied_at IS NOT NULL OR given_up_at IS NOT NULL) LIMIT ?2)",
            params![ts(before), i64::from(limit)],
        )?;
        Ok(done.rows_affected())
    }

    async fn sealed_not_under(&mut self, table: SealedTable, key_id: &str, limit: u32) -> Result<Vec<SealedRow>> {
        let sql = match table {
            SealedTable::PersonalData => "SELECT * FROM personal_data WHERE (key_id < ?1 OR key_id > ?1) LIMIT ?2",
            SealedTable::Outbox => {
                "SELECT * FROM outbox WHERE sealed IS NOT NULL AND (key_id < ?1 OR key_id > ?1) LIMIT ?2"
            }
            SealedTable::OldDocuments => "SELECT * FROM old_documents WHERE (key_id < ?1 OR key_id > ?1) LIMIT ?2",
        };
        let rows = self.w().fetch_all(sql, params![key_id, i64::from(limit)])?;
        rows.iter().map(|r| map_sealed_row(table, r)).collect()
    }

    async fn reseal(&mut self, table: SealedTable, row: &SealedRow, was: &Sealed) -> Result<bool> {
        let sql = match table {
            SealedTable::PersonalData => {
                "UPDATE personal_data SET key_id = ?, sealed = ?, phone_e164 = NULL, birth_date = NULL,
                        old_document_number = NULL
                 WHERE pickup_id = ? AND key_id = ? AND sealed = ?"
            }
            SealedTable::Outbox => {
                "UPDATE outbox SET key_id = ?, sealed = ?, recipient = NULL, body = NULL
                 WHERE id = CAST(? AS INTEGER) AND key_id = ? AND sealed = ? AND sent_at IS NULL"
            }
            SealedTable::OldDocuments => {
                "UPDATE old_documents SET key_id = ?, sealed = ?, document_number = NULL
                 WHERE id = CAST(? AS INTEGER) AND key_id = ? AND sealed = ?"
            }
        };
        // A value from before sealing has no sealed bytes yet: it is matched by its key id alone.
        let was_bytes: &[u8] = if was.key_id == CLEAR_KEY_ID { &[] } else { &was.bytes };
        let done =
            self.w().execute(sql, params![&row.sealed.key_id, &row.sealed.bytes, &row.row, &was.key_id, was_bytes])?;
        Ok(done.rows_affected() == 1)
    }

    async fn free_compartments(&mut self, box_id: &BoxId, per_kind: Option<u32>) -> Result<Vec<Candidate>> {
        let rows = match per_kind {
            Some(n) => self.w().fetch_all(FREE_FEW_OF_EACH_KIND, params![box_id.as_str(), i64::from(n)])?,
            None => self.w().fetch_all(
                "SELECT number, size, within_reach FROM compartments WHERE box_id = ?1 AND state = 'free' ORDER BY number",
                [box_id.as_str()],
            )?,
        };
        rows.iter()
            .map(|r| {
                let number: i64 = r.try_get("number").map_err(db)?;
                let size: String = r.try_get("size").map_err(db)?;
                let reach: i64 = r.try_get("within_reach").map_err(db)?;
                Ok(Candidate {
                    number: compartment_no(number, "number")?,
                    size: SizeClass::parse(&size).ok_or(crate::corrupt("size"))?,
                    within_reach: reach != 0,
                })
            })
            .collect()
    }

    async fn set_compartment_state(
        &mut self,
        box_id: &BoxId,
        number: CompartmentNo,
        from: CompartmentState,
        to: CompartmentState,
    ) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE compartments SET state = ?, defect = NULL WHERE box_id = ? AND number = ? AND state = ?",
            params![to.as_str(), box_id.as_str(), i64::from(number.get()), from.as_str()],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn retire_compartment(
        &mut self,
        box_id: &BoxId,
        number: CompartmentNo,
        from: CompartmentState,
        defect: Defect,
    ) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE compartments SET state = 'defective', defect = ? WHERE box_id = ? AND number = ? AND state = ?",
            params![defect.as_str(), box_id.as_str(), i64::from(number.get()), from.as_str()],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn panel(&mut self, box_id: &BoxId, id: &PanelId) -> Result<Option<PanelRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM panels WHERE box_id = ? AND id = ?",
            params![box_id.as_str(), id.as_str()],
        )?;
        row.as_ref().map(map_panel).transpose()
    }

    async fn compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>> {
        let row = self.w().fetch_optional(crate::COMPARTMENT_ONE, params![box_id.as_str(), i64::from(number.get())])?;
        row.as_ref().map(map_compartment).transpose()
    }

    async fn insert_session(&mut self, s: &SessionRecord) -> Result<()> {
        self.touched.push(s.id.to_string());
        let mut values = session_state_values(s, s.version)?;
        values.extend([
            text(s.id.as_str()),
            text(s.box_id.as_str()),
            text(&s.token_id),
            ts(s.created_at).into(),
            text(s.panel.as_str()),
            text(s.language.code()),
        ]);
        self.w().execute(
            "INSERT INTO kiosk_sessions (step, ended_reason, pin_attempts, third_factor_attempts, queue, position,
                phone_key, phone_hash, last_error, last_activity, version, id, box_id, token_id, created_at,
                panel_id, language)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rusqlite::params_from_iter(values),
        )?;
        Ok(())
    }

    async fn session(&mut self, id: &SessionId) -> Result<Option<SessionRecord>> {
        let row = self.w().fetch_optional("SELECT * FROM kiosk_sessions WHERE id = ?", params![id.as_str()])?;
        row.as_ref().map(map_session).transpose()
    }

    async fn update_session(&mut self, s: &SessionRecord) -> Result<bool> {
        self.touched.push(s.id.to_string());
        let mut values = session_state_values(s, s.version + 1)?;
        values.extend([text(s.id.as_str()), s.version.into()]);
        let done = self.w().execute(
            "UPDATE kiosk_sessions SET step = ?, ended_reason = ?, pin_attempts = ?, third_factor_attempts = ?,
                queue = ?, position = ?, phone_key = ?, phone_hash = ?, last_error = ?, last_activity = ?,
                version = ?
             WHERE id = ? AND version = ?",
            rusqlite::params_from_iter(values),
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn open_sessions_of_panel(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Vec<SessionRecord>> {
        let rows = self.w().fetch_all(
            "SELECT * FROM kiosk_sessions WHERE box_id = ? AND panel_id = ?
               AND step IN ('phone', 'pin', 'old_document', 'birth_date')",
            params![box_id.as_str(), panel.as_str()],
        )?;
        rows.iter().map(map_session).collect()
    }

    async fn session_waiting_for_document(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Option<SessionRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM kiosk_sessions WHERE box_id = ? AND panel_id = ? AND step = 'old_document'
             ORDER BY last_activity DESC LIMIT 1",
            params![box_id.as_str(), panel.as_str()],
        )?;
        row.as_ref().map(map_session).transpose()
    }

    async fn sessions_at_step(&mut self, step: Step) -> Result<Vec<SessionRecord>> {
        let rows = self
            .w()
            .fetch_all("SELECT * FROM kiosk_sessions WHERE step = ? ORDER BY created_at", params![step.as_str()])?;
        rows.iter().map(map_session).collect()
    }

    /// One writer at a time (`BEGIN IMMEDIATE`): the autoincrement cursor is handed out in commit order.
    async fn append_event(&mut self, e: &NewEvent) -> Result<()> {
        self.w().execute(
            "INSERT INTO events (pickup_id, kind, at, data) VALUES (?, ?, ?, ?)",
            params![e.pickup.as_str(), e.kind, ts(e.at), e.data.to_string()],
        )?;
        Ok(())
    }

    async fn enqueue(&mut self, m: &NewOutboxMessage) -> Result<i64> {
        let row = self.w().fetch_one("INSERT INTO outbox (message_id, segments, pickup_id, purpose, key_id, sealed, created_at, not_before, state_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id", params![&m.message_id, i64::from(m.segments), m.pickup.as_str(), m.purpose, &m.sealed.key_id, &m.sealed.bytes, ts(m.created_at), ts(m.not_before)])?;
        row.try_get::<i64, _>("id").map_err(db)
    }

    async fn drop_unsent_messages(
        &mut self,
        pickup: &PickupId,
        at: DateTime<Utc>,
        purpose: Option<&str>,
    ) -> Result<u64> {
        let done = self.w().execute(
            "UPDATE outbox SET key_id = NULL, sealed = NULL, recipient = NULL, body = NULL, dropped_at = ?1,
                    leased_until = NULL, state = 'dropped', state_at = ?1
             WHERE pickup_id = ?2 AND sent_at IS NULL AND dropped_at IS NULL AND state = 'queued'
               AND (?3 IS NULL OR purpose = ?3)",
            params![ts(at), pickup.as_str(), purpose],
        )?;
        Ok(done.rows_affected())
    }

    async fn outbox_failed(
        &mut self,
        message: MessageRef<'_>,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<Option<(PickupId, String)>> {
        let sql = format!(
            "UPDATE outbox SET state = 'failed', state_at = ?, last_error = ?, leased_until = NULL,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE state IN ('queued', 'accepted') AND {} RETURNING pickup_id, purpose",
            crate::message_clause(message)
        );
        let values = crate::message_values(message, vec![ts(at).into(), text(error)]);
        let row = self.w().fetch_optional(&sql, rusqlite::params_from_iter(values))?;
        row.map(|row| {
            let id: String = row.try_get("pickup_id").map_err(db)?;
            let purpose: String = row.try_get("purpose").map_err(db)?;
            Ok((PickupId::parse(&id).map_err(|_| StoreError::Corrupt("outbox.pickup_id"))?, purpose))
        })
        .transpose()
    }

    async fn append_audit(&mut self, a: &NewAuditEntry) -> Result<()> {
        // Kept to the microsecond, as both backends give it back, so that the seal holds on reading.
        let a = &NewAuditEntry { at: a.at.trunc_subsecs(6), ..a.clone() };
        let seal = self.seal.seal(a);
        self.w().execute(
            AUDIT_INSERT,
            params![
                ts(a.at),
                &a.actor,
                a.action,
                &a.object,
                a.detail.to_string(),
                seal.as_ref().map(|(_, s)| s.key_id.as_str()),
                seal.as_ref().map(|(_, s)| s.hash.as_slice()),
                seal.as_ref().map(|(nonce, _)| nonce.as_slice())
            ],
        )?;
        Ok(())
    }

    async fn record_panel_refusal(&mut self, box_id: &BoxId, panel: &PanelId, at: DateTime<Utc>) -> Result<()> {
        self.w().execute(
            "INSERT INTO panel_refusals (site_id, box_id, panel_id, at)
             SELECT site_id, id, ?2, ?3 FROM boxes WHERE id = ?1",
            params![box_id.as_str(), panel.as_str(), ts(at)],
        )?;
        Ok(())
    }

    async fn panel_refusals(
        &mut self,
        box_id: &BoxId,
        panel: &PanelId,
        since: DateTime<Utc>,
    ) -> Result<(u32, Option<DateTime<Utc>>)> {
        let row = self.w().fetch_one(
            "SELECT COUNT(*) AS n, MAX(at) AS last FROM panel_refusals
             WHERE box_id = ?1 AND panel_id = ?2 AND at >= ?3",
            params![box_id.as_str(), panel.as_str(), ts(since)],
        )?;
        let n: i64 = row.try_get("n").map_err(db)?;
        let last: Option<String> = row.try_get("last").map_err(db)?;
        Ok((u32::try_from(n).unwrap_or(u32::MAX), last.map(|t| crate::time::parse_ts(&t, "at")).transpose()?))
    }

    async fn site_refusals(&mut self, box_id: &BoxId, since: DateTime<Utc>) -> Result<u32> {
        let n: i64 = self.w().fetch_one_scalar(
            "SELECT COUNT(*) FROM panel_refusals
             WHERE site_id = (SELECT site_id FROM boxes WHERE id = ?1) AND at >= ?2",
            params![box_id.as_str(), ts(since)],
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn raise_alarm(&mut self, alarm: &NewAlarm) -> Result<bool> {
        let done = self.w().execute(
            "INSERT INTO alarms (kind, site_id, box_id, panel_id, raised_at, detail, compartment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (kind, site_id, COALESCE(box_id, ''), COALESCE(panel_id, ''), COALESCE(compartment, 0))
                 WHERE acknowledged_at IS NULL DO NOTHING",
            params![
                alarm.kind,
                alarm.site.as_str(),
                alarm.box_id.as_ref().map(|b| b.as_str()),
                alarm.panel.as_ref().map(|p| p.as_str()),
                ts(alarm.at),
                alarm.detail.to_string(),
                alarm.compartment.map(|c| i64::from(c.get()))
            ],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn acknowledge_alarm(&mut self, id: i64, by: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE alarms SET acknowledged_at = ?1, acknowledged_by = ?2
             WHERE id = ?3 AND acknowledged_at IS NULL",
            params![ts(at), by, id],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn audit_chain_end(&mut self) -> Result<Option<AuditRecord>> {
        let row = self.w().fetch_optional(
            "SELECT * FROM audit_log WHERE position IS NOT NULL ORDER BY position DESC LIMIT 1",
            params![],
        )?;
        row.as_ref().map(map_audit).transpose()
    }

    async fn audit_unchained(&mut self, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = self
            .w()
            .fetch_all("SELECT * FROM audit_log WHERE link IS NULL ORDER BY id LIMIT ?", params![i64::from(limit)])?;
        rows.iter().map(map_audit).collect()
    }

    async fn chain_audit(&mut self, id: i64, position: i64, link: &KeyedHash) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE audit_log SET position = ?, link_key = ?, link = ? WHERE id = ? AND link IS NULL",
            params![position, &link.key_id, &link.hash, id],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_old_document(&mut self, d: &OldDocumentRecord) -> Result<()> {
        self.w().execute(
            "INSERT INTO old_documents (box_id, pickup_id, key_id, sealed, taken_at) VALUES (?, ?, ?, ?, ?)",
            params![d.box_id.as_str(), d.pickup.as_str(), &d.sealed.key_id, &d.sealed.bytes, ts(d.taken_at)],
        )?;
        Ok(())
    }

    async fn insert_box_event(&mut self, e: &NewBoxEvent) -> Result<i64> {
        let row = self.w().fetch_one(
            "INSERT INTO box_events (box_id, door, compartment, at, item_inside) VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![
                e.box_id.as_str(),
                e.door.as_str(),
                i64::from(e.compartment.get()),
                ts(e.at),
                e.item_inside.map(i64::from)
            ],
        )?;
        row.try_get::<i64, _>("id").map_err(db)
    }

    async fn box_event_applied(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let done = self.w().execute(
            "UPDATE box_events SET applied_at = ? WHERE id = ? AND applied_at IS NULL AND given_up_at IS NULL",
            params![ts(at), id],
        )?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_box_event_unless_behind(&mut self, e: &NewBoxEvent, at: DateTime<Utc>) -> Result<(i64, bool)> {
        let row = self.w().fetch_one(
            "INSERT INTO box_events (box_id, door, compartment, at, item_inside, applied_at)
             SELECT ?1, ?2, ?3, ?4, ?5, CASE WHEN EXISTS (SELECT 1 FROM box_events
                 WHERE applied_at IS NULL AND given_up_at IS NULL AND box_id = ?1 AND compartment = ?3)
                 THEN NULL ELSE ?6 END
             RETURNING id, applied_at IS NOT NULL AS applied",
            params![
                e.box_id.as_str(),
                e.door.as_str(),
                i64::from(e.compartment.get()),
                ts(e.at),
                e.item_inside.map(i64::from),
                ts(at)
            ],
        )?;
        Ok((row.try_get::<i64, _>("id").map_err(db)?, row.try_get::<bool, _>("applied").map_err(db)?))
    }
}
