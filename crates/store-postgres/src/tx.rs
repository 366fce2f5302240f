//! The write transaction: every state change and what follows from it, committed once.

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
use sqlx::postgres::PgArguments;
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};

use crate::rows::{
    compartment_no, db, map_audit, map_box, map_compartment, map_panel, map_personal, map_pickup, map_pin,
    map_sealed_row, map_session, map_site, read_err, write_err,
};

pub(crate) struct PgTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// Told the keys this transaction changed once it committed.
    pub(crate) changes: std::sync::Arc<abholbox_store::Changes>,
    pub(crate) touched: Vec<String>,
    /// Seals the audit entries this transaction writes.
    pub(crate) seal: abholbox_store::AuditSeal,
    /// Events wait here for the commit, which hands out their cursors (see [`PgTx::commit`]).
    pub(crate) events: Vec<NewEvent>,
    /// Times the transaction from its start to its end.
    pub(crate) _hold: abholbox_store::WriteHold,
}

pub(crate) type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

const PICKUP_COLUMNS: &str = "id, reference, site_id, document_kind, document_number, third_factor, language,
    low_compartment, status, box_id, compartment, locked, failed_pin_attempts, failed_third_factor_attempts,
    claimed_by, claimed_at, door_opened_at, phone_key, phone_hash, pin_key, pin_salt, pin_hash, ready_at, deadline,
    collected_at, withdrawal_started_at, attention, handled_by, created_at, updated_at, version";

/// The placeholders for [`PICKUP_COLUMNS`].
const PICKUP_VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
    $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31";

fn bind_pickup<'q>(q: Query<'q>, p: &'q PickupRecord) -> Query<'q> {
    q.bind(p.id.as_str())
        .bind(p.reference.as_str())
        .bind(p.site.as_str())
        .bind(p.document_kind.as_str())
        .bind(p.document_number.as_deref())
        .bind(p.third_factor.as_str())
        .bind(p.language.code())
        .bind(p.low_compartment)
        .bind(p.status.as_str())
        .bind(p.box_id.as_ref().map(BoxId::as_str))
        .bind(p.compartment.map(|c| i64::from(c.get())))
        .bind(p.locked)
        .bind(i64::from(p.failed_pin_attempts))
        .bind(i64::from(p.failed_third_factor_attempts))
        .bind(p.claimed_by.as_ref().map(SessionId::as_str))
        .bind(p.claimed_at)
        .bind(p.door_opened_at)
        .bind(p.phone_hash.as_ref().map(|h| h.key_id.as_str()))
        .bind(p.phone_hash.as_ref().map(|h| h.hash.as_slice()))
        .bind(p.pin.as_ref().map(|h| h.key_id.as_str()))
        .bind(p.pin.as_ref().map(|h| h.salt.as_slice()))
        .bind(p.pin.as_ref().map(|h| h.hash.as_slice()))
        .bind(p.ready_at)
        .bind(p.deadline)
        .bind(p.collected_at)
        .bind(p.withdrawal_started_at)
        .bind(p.attention.map(|a| a.as_str()))
        .bind(p.handled_by.as_deref())
        .bind(p.created_at)
        .bind(p.updated_at)
}

/// The lowest `$2` free compartments of each size and reach, each kind a seek into the
/// `compartments_free` index.
const FREE_FEW_OF_EACH_KIND: &str = "SELECT number, size, within_reach FROM (
    SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 's' AND within_reach = FALSE ORDER BY number LIMIT $2) AS s0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 's' AND within_reach = TRUE ORDER BY number LIMIT $2) AS s1
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 'm' AND within_reach = FALSE ORDER BY number LIMIT $2) AS m0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 'm' AND within_reach = TRUE ORDER BY number LIMIT $2) AS m1
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 'l' AND within_reach = FALSE ORDER BY number LIMIT $2) AS l0
    UNION ALL SELECT * FROM (SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' AND size = 'l' AND within_reach = TRUE ORDER BY number LIMIT $2) AS l1
) AS few ORDER BY number";

#[async_trait]
impl Tx for PgTx {
    /// Hands out the events' cursors from the counter row, last: its lock is held only from here to
    /// the commit, and taken after every other lock of the transaction, so it orders commits without
    /// adding a deadlock.
    async fn commit(mut self: Box<Self>) -> Result<()> {
        if !self.events.is_empty() {
            let count = i64::try_from(self.events.len()).map_err(db)?;
            let row = sqlx::query("UPDATE feed_cursor SET last = last + $1 RETURNING last")
                .bind(count)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(write_err)?;
            let last: i64 = row.try_get("last").map_err(db)?;
            // One statement for all of them: every round trip here is one more that all other
            // committing transactions wait for, behind the counter row's lock. Arrays keep it one
            // statement text, however many events, and within the protocol's parameter limit.
            let first = last - count + 1;
            sqlx::query(
                "INSERT INTO events (cursor, pickup_id, kind, at, data)
                 SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TIMESTAMPTZ[], $5::JSONB[])",
            )
            .bind((first..).take(self.events.len()).collect::<Vec<i64>>())
            .bind(self.events.iter().map(|e| e.pickup.as_str()).collect::<Vec<_>>())
            .bind(self.events.iter().map(|e| e.kind).collect::<Vec<_>>())
            .bind(self.events.iter().map(|e| e.at).collect::<Vec<_>>())
            .bind(self.events.iter().map(|e| Json(&e.data)).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        }
        let Self { tx, changes, touched, _hold, .. } = *self;
        tx.commit().await.map_err(write_err)?;
        drop(_hold);
        changes.flushed();
        changes.committed(touched.iter().map(String::as_str));
        Ok(())
    }

    async fn upsert_site(&mut self, site: &SiteRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sites (id, name, address, time_zone, opening_hours, holiday_state, open_24_7, four_eyes, counter_phone,
                pin_letter_kinds)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                time_zone = excluded.time_zone, opening_hours = excluded.opening_hours,
                holiday_state = excluded.holiday_state, open_24_7 = excluded.open_24_7,
                four_eyes = excluded.four_eyes, counter_phone = excluded.counter_phone,
                pin_letter_kinds = excluded.pin_letter_kinds",
        )
        .bind(site.id.as_str())
        .bind(&site.name)
        .bind(&site.address)
        .bind(&site.time_zone)
        .bind(site.opening_hours.as_deref())
        .bind(&site.holiday_state)
        .bind(site.open_24_7)
        .bind(site.four_eyes)
        .bind(site.counter_phone.as_deref())
        .bind(site.pin_letter_kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" "))
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn remove_free_compartments(&mut self, box_id: &BoxId, keep: &[CompartmentNo]) -> Result<Vec<CompartmentNo>> {
        let keep: Vec<i64> = keep.iter().map(|c| i64::from(c.get())).collect();
        sqlx::query(
            "DELETE FROM compartments c WHERE c.box_id = $1 AND c.state = 'free' AND NOT (c.number = ANY($2))
               AND NOT EXISTS (SELECT 1 FROM pickups p WHERE p.box_id = $1 AND p.compartment = c.number)",
        )
        .bind(box_id.as_str())
        .bind(&keep)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        let rows =
            sqlx::query("SELECT number FROM compartments WHERE box_id = $1 AND NOT (number = ANY($2)) ORDER BY number")
                .bind(box_id.as_str())
                .bind(&keep)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(read_err)?;
        rows.iter().map(|r| compartment_no(r.try_get("number").map_err(db)?, "number")).collect()
    }

    async fn compartments(&mut self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>> {
        let rows =
            sqlx::query(crate::COMPARTMENT_SELECT).bind(box_id.as_str()).fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter().map(map_compartment).collect()
    }

    async fn upsert_box(
        &mut self,
        b: &BoxRecord,
        compartments: &[NewCompartment],
        panels: &[PanelRecord],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO boxes (id, site_id, name, driver) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name,
                                            driver = excluded.driver",
        )
        .bind(b.id.as_str())
        .bind(b.site.as_str())
        .bind(&b.name)
        .bind(&b.driver)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        // Labels are unique per box and may move from one free compartment to another in either
        // direction: the free ones give theirs up first, so none collides with one not written yet.
        sqlx::query(
            "UPDATE compartments SET label = '#' || number
             WHERE box_id = $1 AND state = 'free' AND NOT EXISTS (SELECT 1 FROM pickups p
                WHERE p.box_id = compartments.box_id AND p.compartment = compartments.number)",
        )
        .bind(b.id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        for c in compartments {
            sqlx::query(
                "INSERT INTO compartments (box_id, number, label, module, row_no, column_no, size, within_reach, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'free')
                 ON CONFLICT (box_id, number) DO UPDATE SET label = excluded.label, module = excluded.module,
                    row_no = excluded.row_no, column_no = excluded.column_no, size = excluded.size,
                    within_reach = excluded.within_reach
                 WHERE compartments.state = 'free' AND NOT EXISTS (SELECT 1 FROM pickups p
                    WHERE p.box_id = compartments.box_id AND p.compartment = compartments.number)",
            )
            .bind(b.id.as_str())
            .bind(i64::from(c.number.get()))
            .bind(&c.label)
            .bind(&c.module)
            .bind(i64::from(c.row))
            .bind(i64::from(c.column))
            .bind(c.size.as_str())
            .bind(c.within_reach)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        }
        sqlx::query("DELETE FROM panels WHERE box_id = $1")
            .bind(b.id.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        for p in panels {
            sqlx::query("INSERT INTO panels (box_id, id, reader_slot) VALUES ($1, $2, $3)")
                .bind(b.id.as_str())
                .bind(p.id.as_str())
                .bind(i64::from(p.reader_slot.get()))
                .execute(&mut *self.tx)
                .await
                .map_err(write_err)?;
        }
        Ok(())
    }

    async fn site(&mut self, id: &SiteId) -> Result<Option<SiteRecord>> {
        let row = sqlx::query("SELECT * FROM sites WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_site).transpose()
    }

    async fn box_record(&mut self, id: &BoxId) -> Result<Option<BoxRecord>> {
        let row = sqlx::query("SELECT * FROM boxes WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_box).transpose()
    }

    async fn insert_staff(&mut self, staff: &abholbox_store::StaffRecord) -> Result<()> {
        let sites: Vec<&str> = staff.sites.iter().map(SiteId::as_str).collect();
        sqlx::query(
            "INSERT INTO staff (id, name, role, sites, password_hash, created_at, disabled_at, failed_sign_ins, last_failed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&staff.id)
        .bind(&staff.name)
        .bind(staff.role.as_str())
        .bind(sites.join(" "))
        .bind(&staff.password_hash)
        .bind(staff.created_at)
        .bind(staff.disabled_at)
        .bind(i64::from(staff.failed_sign_ins))
        .bind(staff.last_failed_at)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn book_sign_in(
        &mut self,
        id: &str,
        seen: (u32, Option<DateTime<Utc>>),
        failures: u32,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE staff SET failed_sign_ins = $1, last_failed_at = $2
             WHERE id = $3 AND failed_sign_ins = $4 AND last_failed_at IS NOT DISTINCT FROM $5",
        )
        .bind(i64::from(failures))
        .bind(at)
        .bind(id)
        .bind(i64::from(seen.0))
        .bind(seen.1)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn clear_sign_in_failures(&mut self, id: &str) -> Result<()> {
        sqlx::query("UPDATE staff SET failed_sign_ins = 0, last_failed_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn set_staff_password(&mut self, id: &str, password_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE staff SET password_hash = $1, failed_sign_ins = 0, last_failed_at = NULL WHERE id = $2",
        )
        .bind(password_hash)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
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
        let done = sqlx::query("UPDATE staff SET role = $1, sites = $2, disabled_at = $3 WHERE id = $4")
            .bind(role.as_str())
            .bind(sites)
            .bind(disabled_at)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        if disabled_at.is_some() {
            sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
                .bind(id)
                .execute(&mut *self.tx)
                .await
                .map_err(write_err)?;
        }
        Ok(done.rows_affected() == 1)
    }

    async fn open_service_opening(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<i64>> {
        let row =
            sqlx::query("SELECT id FROM service_openings WHERE box_id = $1 AND compartment = $2 AND closed_at IS NULL")
                .bind(box_id.as_str())
                .bind(i64::from(number.get()))
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(write_err)?;
        row.map(|r| r.try_get::<i64, _>("id").map_err(write_err)).transpose()
    }

    async fn insert_service_opening(&mut self, o: &abholbox_store::NewServiceOpening) -> Result<i64> {
        sqlx::query(
            "INSERT INTO service_openings (box_id, compartment, opened_by, witnessed_by, reason, opened_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(o.box_id.as_str())
        .bind(i64::from(o.compartment.get()))
        .bind(&o.opened_by)
        .bind(o.witnessed_by.as_deref())
        .bind(&o.reason)
        .bind(o.at)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(write_err)?
        .try_get("id")
        .map_err(write_err)
    }

    async fn close_service_opening(&mut self, id: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE service_openings SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn lock_compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<()> {
        sqlx::query("SELECT number FROM compartments WHERE box_id = $1 AND number = $2 FOR UPDATE")
            .bind(box_id.as_str())
            .bind(i64::from(number.get()))
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    /// The box's row is locked first: a second emptying waits here until the first commits, then
    /// reads its id.
    async fn newest_bin_emptying(&mut self, box_id: &BoxId) -> Result<i64> {
        sqlx::query("SELECT id FROM boxes WHERE id = $1 FOR UPDATE")
            .bind(box_id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(write_err)?;
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM bin_emptyings WHERE box_id = $1")
            .bind(box_id.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(write_err)
    }

    async fn record_bin_emptying(
        &mut self,
        e: &abholbox_store::NewBinEmptying,
    ) -> Result<abholbox_store::BinEmptyingRecord> {
        let id: i64 = sqlx::query(
            "INSERT INTO bin_emptyings (box_id, emptied_at, emptied_by, countersigned_by, counted, expected)
             VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
        )
        .bind(e.box_id.as_str())
        .bind(e.at)
        .bind(&e.emptied_by)
        .bind(&e.countersigned_by)
        .bind(i64::from(e.counted))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(write_err)?
        .try_get("id")
        .map_err(write_err)?;
        let taken = sqlx::query(
            "UPDATE old_documents SET emptied_at = $1, emptying_id = $2 WHERE box_id = $3 AND emptied_at IS NULL",
        )
        .bind(e.at)
        .bind(id)
        .bind(e.box_id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?
        .rows_affected();
        let expected = u32::try_from(taken).unwrap_or(u32::MAX);
        sqlx::query("UPDATE bin_emptyings SET expected = $1 WHERE id = $2")
            .bind(i64::from(expected))
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
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
        sqlx::query("INSERT INTO staff_sessions (id, staff_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)")
            .bind(session.id.as_slice())
            .bind(&session.staff_id)
            .bind(session.created_at)
            .bind(session.last_seen_at)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn touch_staff_session(&mut self, id: &[u8], at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn end_staff_session(&mut self, id: &[u8]) -> Result<bool> {
        let done = sqlx::query("DELETE FROM staff_sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_stale_staff_sessions(&mut self, idle_since: DateTime<Utc>, begun_since: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM staff_sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_since)
            .bind(begun_since)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected())
    }

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, role, box_id, panel_id, hash, label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token.id)
        .bind(token.role.as_str())
        .bind(token.box_id.as_ref().map(BoxId::as_str))
        .bind(token.panel.as_ref().map(PanelId::as_str))
        .bind(token.hash.as_slice())
        .bind(&token.label)
        .bind(token.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn revoke_token(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_pickup(&mut self, pickup: &PickupRecord, personal: &PersonalRecord) -> Result<()> {
        self.touched.push(pickup.id.to_string());
        let sql = format!("INSERT INTO pickups ({PICKUP_COLUMNS}) VALUES ({PICKUP_VALUES})");
        bind_pickup(sqlx::query(sqlx::AssertSqlSafe(sql)), pickup)
            .bind(pickup.version)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        sqlx::query("INSERT INTO personal_data (pickup_id, key_id, sealed) VALUES ($1, $2, $3)")
            .bind(personal.pickup.as_str())
            .bind(&personal.sealed.key_id)
            .bind(&personal.sealed.bytes)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn pickup(&mut self, id: &PickupId) -> Result<Option<PickupRecord>> {
        let row = sqlx::query("SELECT * FROM pickups WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_by_reference(&mut self, site: &SiteId, reference: &str) -> Result<Option<PickupRecord>> {
        let row = sqlx::query("SELECT * FROM pickups WHERE site_id = $1 AND reference = $2")
            .bind(site.as_str())
            .bind(reference)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_by_document_number(&mut self, site: &SiteId, number: &str) -> Result<Option<PickupRecord>> {
        let row = sqlx::query(
            "SELECT * FROM pickups WHERE site_id = $1 AND document_number = $2
               AND status NOT IN ('collected', 'withdrawn', 'cancelled')",
        )
        .bind(site.as_str())
        .bind(number)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(read_err)?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickup_in_compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<PickupRecord>> {
        let row = sqlx::query("SELECT * FROM pickups WHERE box_id = $1 AND compartment = $2")
            .bind(box_id.as_str())
            .bind(i64::from(number.get()))
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn ready_pickups_for_phone(&mut self, box_id: &BoxId, phone_hash: &[u8]) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE box_id = $1 AND phone_hash = $2 AND status = 'ready' ORDER BY ready_at, id",
        )
        .bind(box_id.as_str())
        .bind(phone_hash)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    /// The unique key decides: a second transaction's insert waits for the first's commit and then
    /// finds its row, so a family gets one PIN however its documents race.
    async fn family_pin(&mut self, box_id: &BoxId, phone: &KeyedHash, pin: &PinHash) -> Result<FamilyPin> {
        sqlx::query(
            "DELETE FROM family_pins f WHERE f.box_id = $1 AND f.phone_hash = $2 AND NOT EXISTS (
                SELECT 1 FROM pickups p WHERE p.box_id = $1 AND p.phone_hash = $2 AND p.status = 'ready'
                  AND NOT p.locked AND p.pin_hash = f.pin_hash)",
        )
        .bind(box_id.as_str())
        .bind(phone.hash.as_slice())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        let inserted = sqlx::query(
            "INSERT INTO family_pins (box_id, phone_key, phone_hash, pin_key, pin_salt, pin_hash)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (box_id, phone_hash) DO NOTHING",
        )
        .bind(box_id.as_str())
        .bind(&phone.key_id)
        .bind(phone.hash.as_slice())
        .bind(&pin.key_id)
        .bind(pin.salt.as_slice())
        .bind(pin.hash.as_slice())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        if inserted.rows_affected() == 1 {
            return Ok(FamilyPin { pin: pin.clone(), new: true });
        }
        let row =
            sqlx::query("SELECT pin_key, pin_salt, pin_hash FROM family_pins WHERE box_id = $1 AND phone_hash = $2")
                .bind(box_id.as_str())
                .bind(phone.hash.as_slice())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(read_err)?;
        match row {
            Some(row) => Ok(FamilyPin { pin: map_pin(&row)?, new: false }),
            // The family's row went away between the insert and the read (its last document left):
            // the caller's transaction is retried and then finds the way clear.
            None => Err(StoreError::Retry),
        }
    }

    async fn update_pickup(&mut self, p: &PickupRecord) -> Result<bool> {
        self.touched.push(p.id.to_string());
        let sql = format!("UPDATE pickups SET ({PICKUP_COLUMNS}) = ({PICKUP_VALUES}) WHERE id = $33 AND version = $32");
        let done = bind_pickup(sqlx::query(sqlx::AssertSqlSafe(sql)), p)
            .bind(p.version + 1)
            .bind(p.version)
            .bind(p.id.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn pickups_in_flight(&mut self) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE status = 'depositing' OR (status = 'ready' AND claimed_by IS NOT NULL)",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn pickups_due_to_expire(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE status = 'ready' AND claimed_by IS NULL AND deadline <= $1
             ORDER BY deadline LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn pickups_never_loaded(
        &mut self,
        registered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE status = 'awaiting_deposit' AND created_at < $1
             ORDER BY created_at LIMIT $2",
        )
        .bind(registered_before)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn personal_data(&mut self, id: &PickupId) -> Result<Option<PersonalRecord>> {
        let row = sqlx::query("SELECT * FROM personal_data WHERE pickup_id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_personal).transpose()
    }

    async fn erase_personal_data(&mut self, id: &PickupId, family: Option<(&BoxId, &KeyedHash)>) -> Result<()> {
        sqlx::query("DELETE FROM personal_data WHERE pickup_id = $1")
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        if let Some((box_id, phone)) = family {
            self.leave_family(id, box_id, phone).await?;
        }
        sqlx::query(
            "UPDATE pickups SET phone_key = NULL, phone_hash = NULL, pin_key = NULL, pin_salt = NULL, pin_hash = NULL
             WHERE id = $1",
        )
        .bind(id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        sqlx::query(
            "UPDATE outbox SET key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE pickup_id = $1 AND sent_at IS NOT NULL",
        )
        .bind(id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn leave_family(&mut self, id: &PickupId, box_id: &BoxId, phone: &KeyedHash) -> Result<()> {
        // The family's row first, locked: two of its documents ending at once each see the other
        // still waiting until it commits, and neither would erase it. The second to lock reads,
        // in its next statement, what the first committed.
        sqlx::query("SELECT 1 FROM family_pins WHERE box_id = $1 AND phone_hash = $2 FOR UPDATE")
            .bind(box_id.as_str())
            .bind(phone.hash.as_slice())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(write_err)?;
        sqlx::query(
            "DELETE FROM family_pins f WHERE f.box_id = $1 AND f.phone_hash = $2 AND NOT EXISTS (
                SELECT 1 FROM pickups p WHERE p.box_id = $1 AND p.phone_hash = $2
                  AND p.pin_hash = f.pin_hash AND p.id <> $3)",
        )
        .bind(box_id.as_str())
        .bind(phone.hash.as_slice())
        .bind(id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn pickups_with_phone_not_under(&mut self, key_id: &str, limit: u32) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE phone_hash IS NOT NULL AND (phone_key < $1 OR phone_key > $1) LIMIT $2",
        )
        .bind(key_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn rekey_phone(&mut self, pickup: &PickupId, from: &KeyedHash, to: &KeyedHash) -> Result<bool> {
        sqlx::query(
            "UPDATE family_pins SET phone_key = $1, phone_hash = $2
             WHERE phone_hash = $3 AND box_id = (SELECT box_id FROM pickups WHERE id = $4)",
        )
        .bind(&to.key_id)
        .bind(&to.hash)
        .bind(&from.hash)
        .bind(pickup.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        self.touched.push(pickup.to_string());
        let done = sqlx::query(
            "UPDATE pickups SET phone_key = $1, phone_hash = $2, version = version + 1
             WHERE id = $3 AND phone_hash = $4",
        )
        .bind(&to.key_id)
        .bind(&to.hash)
        .bind(pickup.as_str())
        .bind(&from.hash)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn pseudonymise_ended(&mut self, ended_before: DateTime<Utc>, at: DateTime<Utc>, limit: u32) -> Result<u64> {
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE pickups SET reference = 'pseudonymised-' || id, document_number = NULL, pseudonymised_at = $1,
                    version = version + 1
             WHERE id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL
                            AND updated_at < $2 AND pseudonymised_at IS NULL ORDER BY updated_at LIMIT $3)
             RETURNING id",
        )
        .bind(at)
        .bind(ended_before)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(write_err)?;
        // The registry's reference leads to a person; the feed's copy of it goes with the pickup's.
        sqlx::query(
            "UPDATE events SET data = jsonb_set(data, '{reference}', to_jsonb('pseudonymised-' || pickup_id))
             WHERE pickup_id = ANY($1) AND data ? 'reference'",
        )
        .bind(&ids)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    async fn delete_ended(&mut self, ended_before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let mut deleted = 0;
        for sql in [
            "DELETE FROM events WHERE pickup_id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < $1 ORDER BY updated_at, id LIMIT $2)",
            "DELETE FROM outbox WHERE pickup_id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < $1 ORDER BY updated_at, id LIMIT $2)",
            // An old document stays until its bin was emptied (its number is on the destruction record).
            "DELETE FROM old_documents WHERE id IN (SELECT id FROM old_documents WHERE emptied_at IS NOT NULL AND emptied_at < $1 ORDER BY id LIMIT $2)",
            "DELETE FROM pickups WHERE id IN (SELECT id FROM pickups WHERE status IN ('collected', 'withdrawn', 'cancelled') AND compartment IS NULL AND updated_at < $1 ORDER BY updated_at, id LIMIT $2)",
        ] {
            let done = sqlx::query(sql)
                .bind(ended_before)
                .bind(i64::from(limit))
                .execute(&mut *self.tx)
                .await
                .map_err(write_err)?;
            deleted = done.rows_affected();
        }
        Ok(deleted)
    }

    async fn delete_sessions(&mut self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM kiosk_sessions WHERE id IN (SELECT id FROM kiosk_sessions
               WHERE created_at < $1 AND step IN ('done', 'ended') LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        sqlx::query("DELETE FROM panel_refusals WHERE id IN (SELECT id FROM panel_refusals WHERE at < $1 LIMIT $2)")
            .bind(before)
            .bind(i64::from(limit))
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        sqlx::query(
            "DELETE FROM box_events WHERE id IN (SELECT id FROM box_events
               WHERE at < $1 AND (applied_at IS NOT NULL OR given_up_at IS NOT NULL) LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected())
    }

    async fn sealed_not_under(&mut self, table: SealedTable, key_id: &str, limit: u32) -> Result<Vec<SealedRow>> {
        let sql = match table {
            SealedTable::PersonalData => "SELECT * FROM personal_data WHERE (key_id < $1 OR key_id > $1) LIMIT $2",
            SealedTable::Outbox => {
                "SELECT * FROM outbox WHERE sealed IS NOT NULL AND (key_id < $1 OR key_id > $1) LIMIT $2"
            }
            SealedTable::OldDocuments => "SELECT * FROM old_documents WHERE (key_id < $1 OR key_id > $1) LIMIT $2",
        };
        let rows =
            sqlx::query(sql).bind(key_id).bind(i64::from(limit)).fetch_all(&mut *self.tx).await.map_err(read_err)?;
        rows.iter().map(|r| map_sealed_row(table, r)).collect()
    }

    async fn reseal(&mut self, table: SealedTable, row: &SealedRow, was: &Sealed) -> Result<bool> {
        let sql = match table {
            SealedTable::PersonalData => {
                "UPDATE personal_data SET key_id = $1, sealed = $2, phone_e164 = NULL, birth_date = NULL,
                        old_document_number = NULL
                 WHERE pickup_id = $3 AND key_id = $4 AND sealed = $5"
            }
            SealedTable::Outbox => {
                "UPDATE outbox SET key_id = $1, sealed = $2, recipient = NULL, body = NULL
                 WHERE id::text = $3 AND key_id = $4 AND sealed = $5 AND sent_at IS NULL"
            }
            SealedTable::OldDocuments => {
                "UPDATE old_documents SET key_id = $1, sealed = $2, document_number = NULL
                 WHERE id::text = $3 AND key_id = $4 AND sealed = $5"
            }
        };
        // A value from before sealing has no sealed bytes yet: it is matched by its key id alone.
        let was_bytes: &[u8] = if was.key_id == CLEAR_KEY_ID { &[] } else { &was.bytes };
        let done = sqlx::query(sql)
            .bind(&row.sealed.key_id)
            .bind(&row.sealed.bytes)
            .bind(&row.row)
            .bind(&was.key_id)
            .bind(was_bytes)
            .execute(&mut *self.tx)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn free_compartments(&mut self, box_id: &BoxId, per_kind: Option<u32>) -> Result<Vec<Candidate>> {
        let query = match per_kind {
            Some(n) => sqlx::query(FREE_FEW_OF_EACH_KIND).bind(box_id.as_str()).bind(i64::from(n)),
            None => sqlx::query(
                "SELECT number, size, within_reach FROM compartments WHERE box_id = $1 AND state = 'free' ORDER BY number",
            )
            .bind(box_id.as_str()),
        };
        let rows = query.fetch_all(&mut *self.tx).await.map_err(read_err)?;
        rows.iter()
            .map(|r| {
                let number: i64 = r.try_get("number").map_err(db)?;
                let size: String = r.try_get("size").map_err(db)?;
                let reach: bool = r.try_get("within_reach").map_err(db)?;
                Ok(Candidate {
                    number: compartment_no(number, "number")?,
                    size: SizeClass::parse(&size).ok_or(StoreError::Corrupt("size"))?,
                    within_reach: reach,
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
        let done = sqlx::query(
            "UPDATE compartments SET state = $1, defect = NULL WHERE box_id = $2 AND number = $3 AND state = $4",
        )
        .bind(to.as_str())
        .bind(box_id.as_str())
        .bind(i64::from(number.get()))
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn retire_compartment(
        &mut self,
        box_id: &BoxId,
        number: CompartmentNo,
        from: CompartmentState,
        defect: Defect,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE compartments SET state = 'defective', defect = $1 WHERE box_id = $2 AND number = $3 AND state = $4",
        )
        .bind(defect.as_str())
        .bind(box_id.as_str())
        .bind(i64::from(number.get()))
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>> {
        let row = sqlx::query(crate::COMPARTMENT_ONE)
            .bind(box_id.as_str())
            .bind(i64::from(number.get()))
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_compartment).transpose()
    }

    async fn panel(&mut self, box_id: &BoxId, id: &PanelId) -> Result<Option<PanelRecord>> {
        let row = sqlx::query("SELECT * FROM panels WHERE box_id = $1 AND id = $2")
            .bind(box_id.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_panel).transpose()
    }

    async fn insert_session(&mut self, s: &SessionRecord) -> Result<()> {
        self.touched.push(s.id.to_string());
        sqlx::query(
            "INSERT INTO kiosk_sessions (step, ended_reason, pin_attempts, third_factor_attempts, queue, position,
                phone_key, phone_hash, last_error, last_activity, version, id, box_id, token_id, created_at, panel_id,
                language)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(s.state.step.as_str())
        .bind(s.state.ended.map(|r| r.as_str()))
        .bind(i64::from(s.state.pin_attempts))
        .bind(i64::from(s.state.third_factor_attempts))
        .bind(Json(&s.state.queue))
        .bind(i64::try_from(s.state.position).map_err(db)?)
        .bind(s.phone_hash.as_ref().map(|h| h.key_id.as_str()))
        .bind(s.phone_hash.as_ref().map(|h| h.hash.as_slice()))
        .bind(s.last_error.as_deref())
        .bind(s.state.last_activity)
        .bind(s.version)
        .bind(s.id.as_str())
        .bind(s.box_id.as_str())
        .bind(&s.token_id)
        .bind(s.created_at)
        .bind(s.panel.as_str())
        .bind(s.language.code())
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn session(&mut self, id: &SessionId) -> Result<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM kiosk_sessions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_session).transpose()
    }

    async fn update_session(&mut self, s: &SessionRecord) -> Result<bool> {
        self.touched.push(s.id.to_string());
        let done = sqlx::query(
            "UPDATE kiosk_sessions SET step = $1, ended_reason = $2, pin_attempts = $3, third_factor_attempts = $4,
                queue = $5, position = $6, phone_key = $7, phone_hash = $8, last_error = $9, last_activity = $10,
                version = $11
             WHERE id = $12 AND version = $13",
        )
        .bind(s.state.step.as_str())
        .bind(s.state.ended.map(|r| r.as_str()))
        .bind(i64::from(s.state.pin_attempts))
        .bind(i64::from(s.state.third_factor_attempts))
        .bind(Json(&s.state.queue))
        .bind(i64::try_from(s.state.position).map_err(db)?)
        .bind(s.phone_hash.as_ref().map(|h| h.key_id.as_str()))
        .bind(s.phone_hash.as_ref().map(|h| h.hash.as_slice()))
        .bind(s.last_error.as_deref())
        .bind(s.state.last_activity)
        .bind(s.version + 1)
        .bind(s.id.as_str())
        .bind(s.version)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn open_sessions_of_panel(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM kiosk_sessions WHERE box_id = $1 AND panel_id = $2
               AND step IN ('phone', 'pin', 'old_document', 'birth_date')",
        )
        .bind(box_id.as_str())
        .bind(panel.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_session).collect()
    }

    async fn session_waiting_for_document(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT * FROM kiosk_sessions WHERE box_id = $1 AND panel_id = $2 AND step = 'old_document'
             ORDER BY last_activity DESC LIMIT 1",
        )
        .bind(box_id.as_str())
        .bind(panel.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(read_err)?;
        row.as_ref().map(map_session).transpose()
    }

    async fn sessions_at_step(&mut self, step: Step) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query("SELECT * FROM kiosk_sessions WHERE step = $1 ORDER BY created_at")
            .bind(step.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_session).collect()
    }

    async fn append_event(&mut self, event: &NewEvent) -> Result<()> {
        self.events.push(event.clone());
        Ok(())
    }

    async fn enqueue(&mut self, m: &NewOutboxMessage) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO outbox (pickup_id, purpose, key_id, sealed, created_at, not_before, message_id, segments, state_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) RETURNING id",
        )
        .bind(m.pickup.as_str())
        .bind(m.purpose)
        .bind(&m.sealed.key_id)
        .bind(&m.sealed.bytes)
        .bind(m.created_at)
        .bind(m.not_before)
        .bind(&m.message_id)
        .bind(i64::from(m.segments))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(write_err)?;
        row.try_get::<i64, _>("id").map_err(db)
    }

    async fn drop_unsent_messages(
        &mut self,
        pickup: &PickupId,
        at: DateTime<Utc>,
        purpose: Option<&str>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET key_id = NULL, sealed = NULL, recipient = NULL, body = NULL, dropped_at = $1,
                    leased_until = NULL, state = 'dropped', state_at = $1
             WHERE pickup_id = $2 AND sent_at IS NULL AND dropped_at IS NULL AND state = 'queued'
               AND ($3::TEXT IS NULL OR purpose = $3)",
        )
        .bind(at)
        .bind(pickup.as_str())
        .bind(purpose)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected())
    }

    async fn outbox_failed(
        &mut self,
        message: MessageRef<'_>,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<Option<(PickupId, String)>> {
        let sql = format!(
            "UPDATE outbox SET state = 'failed', state_at = $1, last_error = $2, leased_until = NULL,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE state IN ('queued', 'accepted') AND {} RETURNING pickup_id, purpose",
            crate::message_clause(message, 3)
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(error);
        let row = crate::bind_message(query, message).fetch_optional(&mut *self.tx).await.map_err(write_err)?;
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
        sqlx::query(
            // With the site it is about, resolved from its object as it is written, so that the
            // entry stays readable by that site's supervisors after the object's row is gone.
            "INSERT INTO audit_log (at, actor, action, object, detail, seal_key, seal, nonce, site_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE
                WHEN $4 LIKE 'box:%' THEN (SELECT site_id FROM boxes WHERE id = substr($4, 5))
                WHEN $4 LIKE 'site:%' THEN substr($4, 6)
                WHEN $4 ~ '^alarm:[0-9]{1,18}$' THEN (SELECT site_id FROM alarms WHERE id = substr($4, 7)::bigint)
                WHEN $4 LIKE 'session:%' THEN (SELECT b.site_id FROM kiosk_sessions k
                    JOIN boxes b ON b.id = k.box_id WHERE k.id = substr($4, 9))
                ELSE (SELECT site_id FROM pickups WHERE id = $4)
             END)",
        )
        .bind(a.at)
        .bind(&a.actor)
        .bind(a.action)
        .bind(&a.object)
        .bind(Json(&a.detail))
        .bind(seal.as_ref().map(|(_, s)| s.key_id.as_str()))
        .bind(seal.as_ref().map(|(_, s)| s.hash.as_slice()))
        .bind(seal.as_ref().map(|(nonce, _)| nonce.as_slice()))
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn record_panel_refusal(&mut self, box_id: &BoxId, panel: &PanelId, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO panel_refusals (site_id, box_id, panel_id, at)
             SELECT site_id, id, $2, $3 FROM boxes WHERE id = $1",
        )
        .bind(box_id.as_str())
        .bind(panel.as_str())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn panel_refusals(
        &mut self,
        box_id: &BoxId,
        panel: &PanelId,
        since: DateTime<Utc>,
    ) -> Result<(u32, Option<DateTime<Utc>>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MAX(at) AS last FROM panel_refusals
             WHERE box_id = $1 AND panel_id = $2 AND at >= $3",
        )
        .bind(box_id.as_str())
        .bind(panel.as_str())
        .bind(since)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(read_err)?;
        let n: i64 = row.try_get("n").map_err(read_err)?;
        let last: Option<DateTime<Utc>> = row.try_get("last").map_err(read_err)?;
        Ok((u32::try_from(n).unwrap_or(u32::MAX), last))
    }

    async fn site_refusals(&mut self, box_id: &BoxId, since: DateTime<Utc>) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM panel_refusals
             WHERE site_id = (SELECT site_id FROM boxes WHERE id = $1) AND at >= $2",
        )
        .bind(box_id.as_str())
        .bind(since)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(read_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn raise_alarm(&mut self, alarm: &NewAlarm) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO alarms (kind, site_id, box_id, panel_id, raised_at, detail, compartment)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (kind, site_id, COALESCE(box_id, ''), COALESCE(panel_id, ''), COALESCE(compartment, 0))
                 WHERE acknowledged_at IS NULL DO NOTHING",
        )
        .bind(alarm.kind)
        .bind(alarm.site.as_str())
        .bind(alarm.box_id.as_ref().map(|b| b.as_str()))
        .bind(alarm.panel.as_ref().map(|p| p.as_str()))
        .bind(alarm.at)
        .bind(Json(&alarm.detail))
        .bind(alarm.compartment.map(|c| i32::try_from(c.get()).unwrap_or(i32::MAX)))
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn acknowledge_alarm(&mut self, id: i64, by: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE alarms SET acknowledged_at = $1, acknowledged_by = $2
             WHERE id = $3 AND acknowledged_at IS NULL",
        )
        .bind(at)
        .bind(by)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn audit_chain_end(&mut self) -> Result<Option<AuditRecord>> {
        let row = sqlx::query("SELECT * FROM audit_log WHERE position IS NOT NULL ORDER BY position DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_audit).transpose()
    }

    async fn audit_unchained(&mut self, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE link IS NULL ORDER BY id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_audit).collect()
    }

    async fn chain_audit(&mut self, id: i64, position: i64, link: &KeyedHash) -> Result<bool> {
        let done =
            sqlx::query("UPDATE audit_log SET position = $1, link_key = $2, link = $3 WHERE id = $4 AND link IS NULL")
                .bind(position)
                .bind(&link.key_id)
                .bind(&link.hash)
                .bind(id)
                .execute(&mut *self.tx)
                .await
                .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_old_document(&mut self, d: &OldDocumentRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO old_documents (box_id, pickup_id, key_id, sealed, taken_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.box_id.as_str())
        .bind(d.pickup.as_str())
        .bind(&d.sealed.key_id)
        .bind(&d.sealed.bytes)
        .bind(d.taken_at)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn insert_box_event(&mut self, e: &NewBoxEvent) -> Result<i64> {
        let row =
            sqlx::query("INSERT INTO box_events (box_id, door, compartment, at, item_inside) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(e.box_id.as_str())
                .bind(e.door.as_str())
                .bind(i64::from(e.compartment.get()))
                .bind(e.at)
                .bind(e.item_inside)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(write_err)?;
        row.try_get::<i64, _>("id").map_err(db)
    }

    async fn box_event_applied(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE box_events SET applied_at = $1 WHERE id = $2 AND applied_at IS NULL AND given_up_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_box_event_unless_behind(&mut self, e: &NewBoxEvent, at: DateTime<Utc>) -> Result<(i64, bool)> {
        let row = sqlx::query(
            "INSERT INTO box_events (box_id, door, compartment, at, item_inside, applied_at)
             SELECT $1, $2, $3, $4, $5, CASE WHEN EXISTS (SELECT 1 FROM box_events
                 WHERE applied_at IS NULL AND given_up_at IS NULL AND box_id = $1 AND compartment = $3)
                 THEN NULL ELSE $6::timestamptz END
             RETURNING id, applied_at IS NOT NULL AS applied",
        )
        .bind(e.box_id.as_str())
        .bind(e.door.as_str())
        .bind(i64::from(e.compartment.get()))
        .bind(e.at)
        .bind(e.item_inside)
        .bind(at)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(write_err)?;
        Ok((row.try_get::<i64, _>("id").map_err(db)?, row.try_get::<bool, _>("applied").map_err(db)?))
    }
}
