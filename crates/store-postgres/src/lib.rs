//! abholbox's store on PostgreSQL: one database for a city's sites, shared by several server processes.
//!
//! Transactions run at PostgreSQL's default isolation (read committed). Every decision that races is
//! a conditional write (`… WHERE version = $n`, `… WHERE state = $n`), a unique key (one claim per
//! session, one document per compartment, one PIN per family) or `FOR UPDATE SKIP LOCKED` (the
//! outbox lease), so two processes never both win. The event feed's cursors come from one counter row
//! that a transaction updates last, just before it commits, and holds until then: cursors follow
//! commit order without gaps, so a reader of `events_after` never skips an event that commits later.
//! Migrations are embedded and run at open.

mod rows;
mod tx;

use std::time::Duration;

use abholbox_core::ids::{BoxId, CompartmentNo, PickupId, SessionId};
use abholbox_store::{
    AlarmRecord, AuditRecord, BoxEventRecord, BoxRecord, BoxSummary, CompartmentRecord, EventRecord, MessageRef,
    OutboxRecord, OutboxStatus, PanelRecord, PickupRecord, Result, SessionRecord, SiteRecord, Store, Tx,
};
use async_trait::async_trait;

/// The condition that picks the message a reference names, its placeholders numbered from `first`;
/// the values are bound by [`bind_message`].
pub(crate) fn message_clause(message: MessageRef<'_>, first: usize) -> String {
    match message {
        MessageRef::Row(_) => format!("id = ${first}"),
        MessageRef::MessageId(_) => format!("message_id = ${first}"),
        MessageRef::Gateway { .. } => format!("gateway = ${first} AND gateway_id = ${}", first + 1),
    }
}

pub(crate) fn bind_message<'q>(query: crate::tx::Query<'q>, message: MessageRef<'q>) -> crate::tx::Query<'q> {
    match message {
        MessageRef::Row(id) => query.bind(id),
        MessageRef::MessageId(id) => query.bind(id),
        MessageRef::Gateway { gateway, gateway_id } => query.bind(gateway).bind(gateway_id),
    }
}
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::rows::{
    db, map_audit, map_box, map_box_event, map_box_summary, map_compartment, map_event, map_outbox, map_outbox_status,
    map_panel, map_pickup, map_session, map_site, map_token, read_err, write_err,
};

/// Compartments with the pickup each holds, if any.
pub(crate) const COMPARTMENT_SELECT: &str = "SELECT c.*, p.id AS pickup_id FROM compartments c
    LEFT JOIN pickups p ON p.box_id = c.box_id AND p.compartment = c.number
    WHERE c.box_id = $1 ORDER BY c.number";

/// Each box with its compartments counted by state.
pub(crate) const BOX_SUMMARIES: &str = "SELECT b.id, b.site_id, b.name, b.driver,
    COUNT(c.number) AS compartments,
    COUNT(CASE WHEN c.state = 'free' THEN 1 END) AS free,
    COUNT(CASE WHEN c.state = 'free' AND c.within_reach THEN 1 END) AS free_within_reach,
    COUNT(CASE WHEN c.state = 'defective' THEN 1 END) AS defective,
    COALESCE(MAX(c.number), 0) AS last_compartment
    FROM boxes b LEFT JOIN compartments c ON c.box_id = b.id
    GROUP BY b.id, b.site_id, b.name, b.driver ORDER BY b.id";

/// One compartment with the pickup it holds, if any.
pub(crate) const COMPARTMENT_ONE: &str = "SELECT c.*, p.id AS pickup_id FROM compartments c
    LEFT JOIN pickups p ON p.box_id = c.box_id AND p.compartment = c.number
    WHERE c.box_id = $1 AND c.number = $2";

/// Connections a server process keeps by default: enough for the kiosks of a city's boxes, few enough
/// that several processes stay below PostgreSQL's default of 100.
pub const DEFAULT_CONNECTIONS: u32 = 16;

/// The database's limit for this store: one-row write transactions committed per second by
/// `connections` clients (the server's pool size) in minimal loops, on a scratch table that is
/// dropped afterwards. The load generator compares the product's throughput with it.
pub async fn write_limit(url: &str, password: Option<&str>, connections: u32, duration: Duration) -> Result<f64> {
    use sqlx::Connection;
    let mut options: PgConnectOptions = url.parse().map_err(db)?;
    if let Some(p) = password {
        options = options.password(p);
    }
    let table = format!("abholbox_write_probe_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect_with(&options).await.map_err(db)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL)"
    )))
    .execute(&mut admin)
    .await
    .map_err(db)?;
    let start = std::time::Instant::now();
    let mut clients = Vec::new();
    for _ in 0..connections.max(1) {
        let (options, table) = (options.clone(), table.clone());
        clients.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect_with(&options).await?;
            let insert = format!("INSERT INTO {table} (at) VALUES (now())");
            let mut commits = 0_u32;
            while start.elapsed() < duration {
                let mut tx = conn.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(insert.clone())).execute(&mut *tx).await?;
                tx.commit().await?;
                commits += 1;
            }
            conn.close().await?;
            Ok::<u32, sqlx::Error>(commits)
        }));
    }
    let mut commits = 0_u32;
    let mut failed = None;
    for client in clients {
        match client.await.map_err(db)? {
            Ok(n) => commits += n,
            Err(e) => failed = Some(e),
        }
    }
    let rate = f64::from(commits) / start.elapsed().as_secs_f64();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}"))).execute(&mut admin).await.map_err(db)?;
    admin.close().await.map_err(db)?;
    match failed {
        Some(e) => Err(db(e)),
        None => Ok(rate),
    }
}

/// The PostgreSQL store; cheap to clone (a pool).
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// The connection that holds this process's server name (an advisory lock) while it runs.
    name_lock: std::sync::Arc<tokio::sync::Mutex<Option<sqlx::PgConnection>>>,
    changes: std::sync::Arc<abholbox_store::Changes>,
    seal: abholbox_store::AuditSeal,
}

impl PostgresStore {
    /// Counts a write of one statement, committed on its own, like any write transaction (the
    /// load generator counts commits per pickup from it).
    fn committed_alone(&self) {
        self.changes.flushed();
        self.changes.committed(std::iter::empty());
    }

    /// Connects to a `postgres://…` URL and brings the schema up to date. `password`, when given,
    /// replaces one in the URL, so that it can come from a file or the environment instead.
    /// `connections` bounds the pool: every process sharing the database holds up to that many, plus
    /// one for its name, and together they must stay below the database's `max_connections`.
    pub async fn open(url: &str, password: Option<&str>, connections: u32) -> Result<Self> {
        let mut options: PgConnectOptions = url.parse().map_err(db)?;
        if let Some(p) = password {
            options = options.password(p);
        }
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations").run(&pool).await.map_err(db)?;
        Ok(Self {
            pool,
            name_lock: std::sync::Arc::default(),
            changes: std::sync::Arc::default(),
            seal: abholbox_store::AuditSeal::default(),
        })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(read_err)?;
        Ok(Box::new(tx::PgTx {
            _hold: self.changes.hold(),
            tx,
            events: Vec::new(),
            changes: self.changes.clone(),
            touched: Vec::new(),
            seal: self.seal.clone(),
        }))
    }

    fn audit_seal(&self) -> &abholbox_store::AuditSeal {
        &self.seal
    }

    fn changes(&self) -> &abholbox_store::Changes {
        &self.changes
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db)?;
        Ok(())
    }

    async fn close(&self) {
        if let Some(held) = self.name_lock.lock().await.take() {
            let _ = sqlx::Connection::close(held).await;
        }
        self.pool.close().await;
    }

    async fn agree_on(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(read_err)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(read_err)
    }

    async fn change_agreed(&self, name: &str, from: &str, to: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE settings SET value = $1 WHERE name = $2 AND value = $3")
            .bind(to)
            .bind(name)
            .bind(from)
            .execute(&self.pool)
            .await
            .map_err(write_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// A session-level advisory lock on the name, on a connection of its own held until the store
    /// closes or the process dies: PostgreSQL releases it with the connection, so a crashed process
    /// never keeps its name.
    async fn hold_server_name(&self, name: &str) -> Result<bool> {
        let mut held = self.name_lock.lock().await;
        if held.is_some() {
            return Ok(true);
        }
        let mut conn = self.pool.acquire().await.map_err(read_err)?.detach();
        let got: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(hashtext('abholbox server ' || current_schema() || ' ' || $1))",
        )
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .map_err(read_err)?;
        if got {
            *held = Some(conn);
        }
        Ok(got)
    }

    async fn sites(&self) -> Result<Vec<SiteRecord>> {
        let rows = sqlx::query("SELECT * FROM sites ORDER BY id").fetch_all(&self.pool).await.map_err(read_err)?;
        rows.iter().map(map_site).collect()
    }

    async fn boxes(&self) -> Result<Vec<BoxRecord>> {
        let rows = sqlx::query("SELECT * FROM boxes ORDER BY id").fetch_all(&self.pool).await.map_err(read_err)?;
        rows.iter().map(map_box).collect()
    }

    async fn box_summaries(&self) -> Result<Vec<BoxSummary>> {
        let rows = sqlx::query(BOX_SUMMARIES).fetch_all(&self.pool).await.map_err(read_err)?;
        rows.iter().map(map_box_summary).collect()
    }

    async fn compartments(&self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>> {
        let rows =
            sqlx::query(COMPARTMENT_SELECT).bind(box_id.as_str()).fetch_all(&self.pool).await.map_err(read_err)?;
        rows.iter().map(map_compartment).collect()
    }

    async fn compartment(&self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>> {
        let row = sqlx::query(COMPARTMENT_ONE)
            .bind(box_id.as_str())
            .bind(i64::from(number.get()))
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_compartment).transpose()
    }

    async fn panels(&self, box_id: &BoxId) -> Result<Vec<PanelRecord>> {
        let rows = sqlx::query("SELECT * FROM panels WHERE box_id = $1 ORDER BY reader_slot")
            .bind(box_id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_panel).collect()
    }

    async fn pickup(&self, id: &PickupId) -> Result<Option<PickupRecord>> {
        let row = sqlx::query("SELECT * FROM pickups WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickups_in_box(&self, box_id: &BoxId) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE box_id = $1 AND compartment IS NOT NULL
             AND status IN ('depositing', 'ready', 'expired', 'cancelled')",
        )
        .bind(box_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn bin_contents(&self, box_id: &BoxId) -> Result<Vec<abholbox_store::BinItem>> {
        let rows =
            sqlx::query("SELECT * FROM old_documents WHERE box_id = $1 AND emptied_at IS NULL ORDER BY taken_at, id")
                .bind(box_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(read_err)?;
        rows.iter().map(crate::rows::map_bin_item).collect()
    }

    async fn bin_emptying(
        &self,
        id: i64,
    ) -> Result<Option<(abholbox_store::BinEmptyingRecord, Vec<abholbox_store::BinItem>)>> {
        let Some(row) = sqlx::query("SELECT * FROM bin_emptyings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?
        else {
            return Ok(None);
        };
        let items = sqlx::query("SELECT * FROM old_documents WHERE emptying_id = $1 ORDER BY taken_at, id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        let items = items.iter().map(crate::rows::map_bin_item).collect::<Result<Vec<_>>>()?;
        Ok(Some((crate::rows::map_bin_emptying(&row)?, items)))
    }

    async fn compartment_history(
        &self,
        box_id: &BoxId,
        number: CompartmentNo,
        limit: u32,
    ) -> Result<Vec<BoxEventRecord>> {
        let rows =
            sqlx::query("SELECT * FROM box_events WHERE box_id = $1 AND compartment = $2 ORDER BY id DESC LIMIT $3")
                .bind(box_id.as_str())
                .bind(i64::from(number.get()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(read_err)?;
        rows.iter().map(map_box_event).collect()
    }

    async fn bin_emptyings(&self, box_id: &BoxId, limit: u32) -> Result<Vec<abholbox_store::BinEmptyingRecord>> {
        let rows = sqlx::query("SELECT * FROM bin_emptyings WHERE box_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(box_id.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(crate::rows::map_bin_emptying).collect()
    }

    async fn tokens(&self) -> Result<Vec<abholbox_store::TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at DESC, id")
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_token).collect()
    }

    async fn staff_members(&self) -> Result<Vec<abholbox_store::StaffRecord>> {
        let rows = sqlx::query("SELECT * FROM staff ORDER BY name").fetch_all(&self.pool).await.map_err(read_err)?;
        rows.iter().map(crate::rows::map_staff).collect()
    }

    async fn staff_by_id(&self, id: &str) -> Result<Option<abholbox_store::StaffRecord>> {
        let row = sqlx::query("SELECT * FROM staff WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(crate::rows::map_staff).transpose()
    }

    async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM kiosk_sessions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_session).transpose()
    }

    async fn staff_by_name(&self, name: &str) -> Result<Option<abholbox_store::StaffRecord>> {
        let row = sqlx::query("SELECT * FROM staff WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(crate::rows::map_staff).transpose()
    }

    async fn staff_session(
        &self,
        id: &[u8],
    ) -> Result<Option<(abholbox_store::StaffSessionRecord, abholbox_store::StaffRecord)>> {
        let row = sqlx::query(
            "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at,
                    st.*
             FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(read_err)?;
        row.as_ref().map(crate::rows::map_staff_session).transpose()
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<abholbox_store::TokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_token).transpose()
    }

    async fn token(&self, id: &str) -> Result<Option<abholbox_store::TokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(read_err)?;
        row.as_ref().map(map_token).transpose()
    }

    async fn events_after(&self, cursor: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query("SELECT * FROM events WHERE cursor > $1 ORDER BY cursor LIMIT $2")
            .bind(cursor)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_event).collect()
    }

    async fn events_of_pickup(&self, pickup: &PickupId) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query("SELECT * FROM events WHERE pickup_id = $1 ORDER BY cursor")
            .bind(pickup.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_event).collect()
    }

    async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_search(&self, f: &abholbox_store::AuditFilter) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            r#"SELECT * FROM audit_log
             WHERE ($1::text IS NULL OR object = $1 OR object = 'box:' || $1 OR object = 'site:' || $1 OR site_id = $1 OR actor = 'box:' || $1
                    OR starts_with(actor, 'kiosk:' || $1 || ':') OR strpos(detail::text, '"' || $1 || '"') > 0)
               AND ($2::text IS NULL OR actor = $2) AND ($3::timestamptz IS NULL OR at >= $3)
               AND ($4::timestamptz IS NULL OR at < $4) AND ($5::bigint IS NULL OR id < $5)
               AND ($7::text[] IS NULL OR site_id = ANY($7))
             ORDER BY id DESC LIMIT $6"#,
        )
        .bind(f.mention.as_deref())
        .bind(f.actor.as_deref())
        .bind(f.from)
        .bind(f.until)
        .bind(f.before_id)
        .bind(i64::from(f.limit))
        .bind(f.sites.as_ref().map(|sites| sites.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>()))
        .fetch_all(&self.pool)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_chain(&self, after_position: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE position > $1 ORDER BY position LIMIT $2")
            .bind(after_position)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_unchained_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE link IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(read_err)
    }

    async fn audit_repeated_seal(&self) -> Result<Option<i64>> {
        sqlx::query_scalar(
            // One sort by seal, whether or not an index on it is left (the copy this looks for
            // may have come in after someone removed the index that refuses it).
            "SELECT MIN(id) FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY seal ORDER BY id) AS nth
                                  FROM audit_log WHERE seal IS NOT NULL) AS sealed
             WHERE nth > 1",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(read_err)
    }

    async fn open_alarms(&self) -> Result<Vec<AlarmRecord>> {
        let rows = sqlx::query("SELECT * FROM alarms WHERE acknowledged_at IS NULL ORDER BY raised_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(read_err)?;
        rows.iter().map(rows::map_alarm).collect()
    }

    async fn outbox_for_pickup(&self, pickup: &PickupId) -> Result<Vec<OutboxStatus>> {
        let rows = sqlx::query(
            "SELECT id, message_id, purpose, state, state_at, segments, gateway, attempts, sent_at, last_error, dropped_at,
                    (sealed IS NOT NULL OR recipient IS NOT NULL OR body IS NOT NULL) AS holds_content
             FROM outbox WHERE pickup_id = $1 ORDER BY id",
        )
        .bind(pickup.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_outbox_status).collect()
    }

    /// `SKIP LOCKED`: two processes' workers lease different messages, never the same one twice.
    async fn lease_outbox(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<OutboxRecord>> {
        let row = sqlx::query(
            "UPDATE outbox SET leased_until = $1, attempts = attempts + 1
             WHERE id = (SELECT id FROM outbox
                         WHERE sent_at IS NULL AND state = 'queued' AND sealed IS NOT NULL AND not_before <= $2
                           AND (leased_until IS NULL OR leased_until <= $2)
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, message_id, pickup_id, purpose, key_id, sealed, recipient, body, attempts, created_at,
                       COALESCE(state_at, not_before) AS due_at",
        )
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(read_err)?;
        if row.is_some() {
            self.committed_alone();
        }
        row.as_ref().map(map_outbox).transpose()
    }

    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>, gateway: &str, gateway_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, gateway = $2, gateway_id = $3,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL, leased_until = NULL, last_error = NULL,
                    state = CASE WHEN state = 'queued' THEN 'accepted' ELSE state END,
                    state_at = CASE WHEN state = 'queued' THEN $1 ELSE state_at END
             WHERE id = $4",
        )
        .bind(at)
        .bind(gateway)
        .bind(gateway_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(read_err)?;
        self.committed_alone();
        Ok(())
    }

    async fn outbox_delivered(&self, message: MessageRef<'_>, at: DateTime<Utc>) -> Result<bool> {
        let sql = format!(
            "UPDATE outbox SET state = 'delivered', state_at = $1, leased_until = NULL,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE state IN ('queued', 'accepted') AND {}",
            message_clause(message, 2)
        );
        let done = bind_message(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at), message)
            .execute(&self.pool)
            .await
            .map_err(read_err)?;
        self.committed_alone();
        Ok(done.rows_affected() > 0)
    }

    async fn outbox_retry(&self, id: i64, error: &str, next_attempt: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET last_error = $1, not_before = $2, leased_until = NULL WHERE id = $3")
            .bind(error)
            .bind(next_attempt)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(read_err)?;
        self.committed_alone();
        Ok(())
    }

    async fn pending_box_events(&self, limit: u32) -> Result<Vec<BoxEventRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM box_events WHERE applied_at IS NULL AND given_up_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(read_err)?;
        rows.iter().map(map_box_event).collect()
    }

    async fn box_event_attempt_failed(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE box_events SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(read_err)?;
        self.committed_alone();
        Ok(())
    }

    async fn box_event_given_up(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<()> {
        sqlx::query("UPDATE box_events SET attempts = attempts + 1, last_error = $1, given_up_at = $2 WHERE id = $3")
            .bind(error)
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(read_err)?;
        self.committed_alone();
        Ok(())
    }
}
