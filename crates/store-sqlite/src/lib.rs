//! abholbox's store on one SQLite file: the embedded default for a single box or site.
//!
//! Opened in WAL mode with `synchronous = FULL` (a handed-out passport must survive a power cut) and
//! foreign keys on; every write transaction starts with `BEGIN IMMEDIATE`, so a read-then-write
//! transaction never fails halfway on a stale snapshot. SQLite has one writer at a time, and a writer
//! that finds the lock taken sleeps in its busy handler for 1, 2, 5 … 100 ms whether or not the lock
//! was freed meanwhile; so writers queue here instead, for the one writing connection (a fair lock),
//! and writes that queued together share one commit's flush to disk (group commit). That connection
//! runs its statements inline (`writer`); readers use sqlx's pool and never wait (WAL), except the
//! short lookups nearly every request makes, which are read inline too (`inline_reads`).
//! Migrations are embedded and run at open.

mod inline_reads;
mod rows;
mod time;
mod tx;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use abholbox_core::ids::{BoxId, CompartmentNo, PickupId, SessionId};
use abholbox_store::{
    AlarmRecord, AuditRecord, BoxEventRecord, BoxRecord, BoxSummary, CompartmentRecord, EventRecord, MessageRef,
    OutboxRecord, OutboxStatus, PanelRecord, PickupRecord, Result, SessionRecord, SiteRecord, Store, StoreError,
    TokenRecord, Tx,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::rows::{
    db, map_audit, map_box, map_box_event, map_box_summary, map_compartment, map_event, map_panel, map_pickup,
    map_session, map_site, map_token,
};
use crate::time::ts;

/// The condition that picks the message a reference names; its values are bound by [`bind_message`].
pub(crate) fn message_clause(message: MessageRef<'_>) -> &'static str {
    match message {
        MessageRef::Row(_) => "id = ?",
        MessageRef::MessageId(_) => "message_id = ?",
        MessageRef::Gateway { .. } => "gateway = ? AND gateway_id = ?",
    }
}

/// `values` followed by the values of [`message_clause`].
pub(crate) fn message_values(
    message: MessageRef<'_>,
    mut values: Vec<rusqlite::types::Value>,
) -> Vec<rusqlite::types::Value> {
    match message {
        MessageRef::Row(id) => values.push(id.into()),
        MessageRef::MessageId(id) => values.push(id.to_owned().into()),
        MessageRef::Gateway { gateway, gateway_id } => {
            values.push(gateway.to_owned().into());
            values.push(gateway_id.to_owned().into());
        }
    }
    values
}

/// Compartments with the pickup each holds, if any.
pub(crate) const COMPARTMENT_SELECT: &str = "SELECT c.*, p.id AS pickup_id FROM compartments c
    LEFT JOIN pickups p ON p.box_id = c.box_id AND p.compartment = c.number
    WHERE c.box_id = ? ORDER BY c.number";

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
    WHERE c.box_id = ? AND c.number = ?";

/// The SQLite store; cheap to clone (a pool).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Connections for reading; WAL lets them read while a write goes on.
    pool: SqlitePool,
    /// Connections for the short lookups every request makes, read on the caller's thread.
    inline: Arc<inline_reads::InlineReads>,
    /// The one connection that writes, held by a write from `BEGIN IMMEDIATE` to its end: its page
    /// cache stays warm, since no other connection changes the file under it.
    writer: writer::Writer,
    changes: Arc<abholbox_store::Changes>,
    seal: abholbox_store::AuditSeal,
}

/// The one writer's permit, timed: every write counts its time from taking it to giving it back.
#[derive(Debug)]
pub(crate) struct WritePermit {
    /// Declared first so that it stops before the writer goes back to the next one.
    _hold: abholbox_store::WriteHold,
    pub(crate) held: writer::Held,
}

impl SqliteStore {
    /// Waits for the writer; a write holds it until it joins the next flush or rolls back.
    async fn write_permit(&self) -> Result<WritePermit> {
        let held = writer::Held::take(&self.writer).await;
        Ok(WritePermit { _hold: self.changes.hold(), held })
    }

    /// Starts a write: the writer taken in turn, and SQLite's lock, which another process may hold
    /// (waited for off the async workers).
    async fn begin_write(&self) -> Result<tx::SqliteTx> {
        let mut permit = self.write_permit().await?;
        if !permit.held.start_now()? {
            permit = tokio::task::spawn_blocking(move || {
                let mut permit = permit;
                permit.held.start_waiting().map(|()| permit)
            })
            .await
            .map_err(db)??;
        }
        Ok(tx::SqliteTx { permit, changes: self.changes.clone(), touched: Vec::new(), seal: self.seal.clone() })
    }

    /// A write of its own (a statement or two), committed like any other.
    async fn write_alone<T>(&self, write: impl FnOnce(&writer::Held) -> Result<T>) -> Result<T> {
        let tx = self.begin_write().await?;
        let value = write(&tx.permit.held)?;
        Tx::commit(Box::new(tx)).await?;
        Ok(value)
    }

    /// Opens (creating if missing) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::open_with(options).await
    }

    /// Opens a `sqlite://…` URL, as configs name databases.
    pub async fn open_url(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url).map_err(db)?;
        Self::open_with(options).await
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self> {
        use sqlx::Connection;
        let path = options.get_filename();
        if path.as_os_str().is_empty() || path == Path::new(":memory:") {
            return Err(db(std::io::Error::other("the SQLite store needs a file, not memory")));
        }
        restrict_files(path)?;
        let options = settings(options);
        let mut migrations = sqlx::SqliteConnection::connect_with(&options).await.map_err(db)?;
        sqlx::migrate!("./migrations").run(&mut migrations).await.map_err(db)?;
        migrations.close().await.map_err(db)?;
        let writer = writer::open(options.get_filename())?;
        let inline = Arc::new(inline_reads::InlineReads::new(options.get_filename()));
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(READERS)
            .connect_with(options)
            .await
            .map_err(db)?;
        let changes: Arc<abholbox_store::Changes> = Arc::default();
        tokio::spawn(checkpoints(pool.clone(), writer.clone(), Arc::downgrade(&changes)));
        Ok(Self { pool, inline, writer, changes, seal: abholbox_store::AuditSeal::default() })
    }
}

/// Connections for reading: the kiosks' and the registry's lookups go on side by side.
const READERS: u32 = 8;
/// How often the checkpointer copies committed pages from the write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// How often, when anything was written, the write-ahead log is emptied to zero bytes: old page
/// images (of personal data erased since, sealed as it was) do not stay in it longer than this.
const TRUNCATE_EVERY: u32 = 60;

/// Copies the write-ahead log into the database file in the background (a passive checkpoint, which
/// never blocks a writer), so that the commit that crosses SQLite's threshold does not pay for it
/// while every other writer waits behind it. Every [`TRUNCATE_EVERY`] rounds it instead empties the
/// log, queued as a writer. Ends when the store is closed or dropped.
async fn checkpoints(pool: SqlitePool, writer: writer::Writer, changes: std::sync::Weak<abholbox_store::Changes>) {
    let mut checkpointed = 0;
    let mut round: u32 = 0;
    let mut written_since_truncate = false;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let Some(commits) = changes.upgrade().map(|c| c.commits()) else { return };
        if pool.is_closed() {
            return;
        }
        round = round.wrapping_add(1);
        written_since_truncate |= commits != checkpointed;
        if round.is_multiple_of(TRUNCATE_EVERY * 2) && written_since_truncate {
            written_since_truncate = false;
            checkpointed = commits;
            // Copying a long log can take a while: off the async workers, holding the writer, after
            // the writes waiting for a flush are committed.
            let Some(changes) = changes.upgrade() else { return };
            let mut held = writer::Held::take(&writer).await;
            let truncated = tokio::task::spawn_blocking(move || {
                held.flush(&changes);
                held.conn().ok().map(|conn| conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
            })
            .await;
            match truncated {
                Ok(None) => return,
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => {
                    tracing::warn!(error = %e, "emptying the write-ahead log failed; tried again later")
                }
                Err(e) => tracing::warn!(error = %e, "emptying the write-ahead log failed; tried again later"),
            }
            continue;
        }
        if commits == checkpointed {
            continue;
        }
        checkpointed = commits;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "checkpoint failed; SQLite checkpoints at commit meanwhile");
        }
    }
}

/// The settings every sqlx connection gets: the readers' and the write probe's alike; the writer's
/// own connection gets the same ([`writer::open`]).
fn settings(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(writer::BUSY_TIMEOUT)
        // Deleted rows (erased personal data among them) are overwritten, not left in free pages.
        .pragma("secure_delete", "ON")
}

/// The disk's limit for this store: one-row write transactions committed per second by a minimal
/// loop, on a scratch file beside the database that `url` names, with the store's own settings. The
/// load generator compares the product's throughput with it.
pub async fn write_limit(url: &str, duration: Duration) -> Result<f64> {
    use sqlx::Connection;
    let database = SqliteConnectOptions::from_str(url).map_err(db)?;
    let dir = database.get_filename().parent().unwrap_or(Path::new("."));
    let path = &dir.join(format!("write-probe-{}.db", std::process::id()));
    let mut conn = sqlx::SqliteConnection::connect_with(&settings(SqliteConnectOptions::new().filename(path)))
        .await
        .map_err(db)?;
    sqlx::query("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .map_err(db)?;
    let start = std::time::Instant::now();
    let mut commits = 0_u32;
    while start.elapsed() < duration {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        sqlx::query("INSERT INTO probe (at) VALUES (datetime('now'))").execute(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        commits += 1;
    }
    let rate = f64::from(commits) / start.elapsed().as_secs_f64();
    conn.close().await.map_err(db)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(rate)
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.begin_write().await?))
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
        self.pool.close().await;
        let mut held = writer::Held::take(&self.writer).await;
        let changes = self.changes.clone();
        let closed = tokio::task::spawn_blocking(move || {
            held.flush(&changes);
            held.close();
        });
        if let Err(e) = closed.await {
            tracing::error!(error = %e, "closing the writer failed");
        }
    }

    async fn agree_on(&self, name: &str, value: &str) -> Result<String> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write_alone(move |w| {
            w.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                rusqlite::params![name, value],
            )?;
            w.fetch_one_scalar("SELECT value FROM settings WHERE name = ?", [name])
        })
        .await
    }

    async fn change_agreed(&self, name: &str, from: &str, to: &str) -> Result<bool> {
        let values = [to, name, from].map(str::to_owned);
        let done = self
            .write_alone(move |w| w.execute("UPDATE settings SET value = ? WHERE name = ? AND value = ?", values))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One server owns a SQLite file (the data directory's lock says so): the name is always its own.
    async fn hold_server_name(&self, _name: &str) -> Result<bool> {
        Ok(true)
    }

    async fn sites(&self) -> Result<Vec<SiteRecord>> {
        let rows = sqlx::query("SELECT * FROM sites ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(map_site).collect()
    }

    async fn boxes(&self) -> Result<Vec<BoxRecord>> {
        let rows = sqlx::query("SELECT * FROM boxes ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(map_box).collect()
    }

    async fn box_summaries(&self) -> Result<Vec<BoxSummary>> {
        let rows = sqlx::query(BOX_SUMMARIES).fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(map_box_summary).collect()
    }

    async fn compartments(&self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>> {
        let rows = sqlx::query(COMPARTMENT_SELECT).bind(box_id.as_str()).fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(map_compartment).collect()
    }

    async fn compartment(&self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>> {
        let row = sqlx::query(COMPARTMENT_ONE)
            .bind(box_id.as_str())
            .bind(i64::from(number.get()))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(map_compartment).transpose()
    }

    async fn panels(&self, box_id: &BoxId) -> Result<Vec<PanelRecord>> {
        let rows = sqlx::query("SELECT * FROM panels WHERE box_id = ? ORDER BY reader_slot")
            .bind(box_id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_panel).collect()
    }

    async fn pickup(&self, id: &PickupId) -> Result<Option<PickupRecord>> {
        let row = self.inline.fetch_optional("SELECT * FROM pickups WHERE id = ?", [id.as_str()])?;
        row.as_ref().map(map_pickup).transpose()
    }

    async fn pickups_in_box(&self, box_id: &BoxId) -> Result<Vec<PickupRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM pickups WHERE box_id = ? AND compartment IS NOT NULL
             AND status IN ('depositing', 'ready', 'expired', 'cancelled')",
        )
        .bind(box_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(map_pickup).collect()
    }

    async fn bin_contents(&self, box_id: &BoxId) -> Result<Vec<abholbox_store::BinItem>> {
        let rows =
            sqlx::query("SELECT * FROM old_documents WHERE box_id = ? AND emptied_at IS NULL ORDER BY taken_at, id")
                .bind(box_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(crate::rows::map_bin_item).collect()
    }

    async fn bin_emptying(
        &self,
        id: i64,
    ) -> Result<Option<(abholbox_store::BinEmptyingRecord, Vec<abholbox_store::BinItem>)>> {
        let Some(row) = sqlx::query("SELECT * FROM bin_emptyings WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
        else {
            return Ok(None);
        };
        let items = sqlx::query("SELECT * FROM old_documents WHERE emptying_id = ? ORDER BY taken_at, id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
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
            sqlx::query("SELECT * FROM box_events WHERE box_id = ? AND compartment = ? ORDER BY id DESC LIMIT ?")
                .bind(box_id.as_str())
                .bind(i64::from(number.get()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(map_box_event).collect()
    }

    async fn bin_emptyings(&self, box_id: &BoxId, limit: u32) -> Result<Vec<abholbox_store::BinEmptyingRecord>> {
        let rows = sqlx::query("SELECT * FROM bin_emptyings WHERE box_id = ? ORDER BY id DESC LIMIT ?")
            .bind(box_id.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(crate::rows::map_bin_emptying).collect()
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at DESC, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_token).collect()
    }

    async fn staff_members(&self) -> Result<Vec<abholbox_store::StaffRecord>> {
        let rows = sqlx::query("SELECT * FROM staff ORDER BY name").fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(crate::rows::map_staff).collect()
    }

    async fn staff_by_id(&self, id: &str) -> Result<Option<abholbox_store::StaffRecord>> {
        let row =
            sqlx::query("SELECT * FROM staff WHERE id = ?").bind(id).fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(crate::rows::map_staff).transpose()
    }

    async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        let row = self.inline.fetch_optional("SELECT * FROM kiosk_sessions WHERE id = ?", [id.as_str()])?;
        row.as_ref().map(map_session).transpose()
    }

    async fn staff_by_name(&self, name: &str) -> Result<Option<abholbox_store::StaffRecord>> {
        let row = sqlx::query("SELECT * FROM staff WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(crate::rows::map_staff).transpose()
    }

    async fn staff_session(
        &self,
        id: &[u8],
    ) -> Result<Option<(abholbox_store::StaffSessionRecord, abholbox_store::StaffRecord)>> {
        let row = sqlx::query(
            "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at,
                    st.*
             FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(crate::rows::map_staff_session).transpose()
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>> {
        let row = self.inline.fetch_optional("SELECT * FROM api_tokens WHERE hash = ?", [hash])?;
        row.as_ref().map(map_token).transpose()
    }

    async fn token(&self, id: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(map_token).transpose()
    }

    async fn events_of_pickup(&self, pickup: &PickupId) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query("SELECT * FROM events WHERE pickup_id = ? ORDER BY cursor")
            .bind(pickup.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_event).collect()
    }

    async fn events_after(&self, cursor: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query("SELECT * FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?")
            .bind(cursor)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_event).collect()
    }

    async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_search(&self, f: &abholbox_store::AuditFilter) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            r#"SELECT * FROM audit_log
             WHERE (?1 IS NULL OR object = ?1 OR object = 'box:' || ?1 OR object = 'site:' || ?1 OR site_id = ?1 OR actor = 'box:' || ?1
                    OR substr(actor, 1, length('kiosk:' || ?1 || ':')) = 'kiosk:' || ?1 || ':'
                    OR instr(detail, '"' || ?1 || '"') > 0)
               AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
               AND (?5 IS NULL OR id < ?5)
               AND (?7 IS NULL OR site_id IN (SELECT value FROM json_each(?7)))
             ORDER BY id DESC LIMIT ?6"#,
        )
        .bind(f.mention.as_deref())
        .bind(f.actor.as_deref())
        .bind(f.from.map(crate::time::ts))
        .bind(f.until.map(crate::time::ts))
        .bind(f.before_id)
        .bind(i64::from(f.limit))
        .bind(
            f.sites
                .as_ref()
                .map(|sites| serde_json::Value::from(sites.iter().map(|s| s.as_str()).collect::<Vec<_>>()).to_string()),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_chain(&self, after_position: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE position > ? ORDER BY position LIMIT ?")
            .bind(after_position)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(map_audit).collect()
    }

    async fn audit_unchained_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE link IS NULL").fetch_one(&self.pool).await.map_err(db)
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
        .map_err(db)
    }

    async fn open_alarms(&self) -> Result<Vec<AlarmRecord>> {
        let rows = sqlx::query("SELECT * FROM alarms WHERE acknowledged_at IS NULL ORDER BY raised_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(rows::map_alarm).collect()
    }

    async fn outbox_for_pickup(&self, pickup: &PickupId) -> Result<Vec<OutboxStatus>> {
        let rows = sqlx::query(
            "SELECT id, message_id, purpose, state, state_at, segments, gateway, attempts, sent_at, last_error, dropped_at,
                    (sealed IS NOT NULL OR recipient IS NOT NULL OR body IS NOT NULL) AS holds_content
             FROM outbox WHERE pickup_id = ? ORDER BY id",
        )
        .bind(pickup.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::map_outbox_status).collect()
    }

    async fn lease_outbox(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<OutboxRecord>> {
        // A look first, without the write permit: most looks find nothing due.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE sent_at IS NULL AND state = 'queued' AND sealed IS NOT NULL AND not_before <= ?1
               AND (leased_until IS NULL OR leased_until <= ?1) LIMIT 1",
        )
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        if due.is_none() {
            return Ok(None);
        }
        let values = [ts(lease_until), ts(now)];
        let row = self
            .write_alone(move |w| {
                w.fetch_optional(
                    "UPDATE outbox SET leased_until = ?1, attempts = attempts + 1
             WHERE id = (SELECT id FROM outbox
                         WHERE sent_at IS NULL AND state = 'queued' AND sealed IS NOT NULL AND not_before <= ?2
                           AND (leased_until IS NULL OR leased_until <= ?2)
                         ORDER BY id LIMIT 1)
             RETURNING id, message_id, pickup_id, purpose, key_id, sealed, recipient, body, attempts, created_at,
                       COALESCE(state_at, not_before) AS due_at",
                    values,
                )
            })
            .await?;
        row.as_ref().map(rows::map_outbox).transpose()
    }

    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>, gateway: &str, gateway_id: &str) -> Result<()> {
        let values: Vec<rusqlite::types::Value> =
            vec![ts(at).into(), gateway.to_owned().into(), gateway_id.to_owned().into(), id.into()];
        self.write_alone(move |w| {
            w.execute(
                "UPDATE outbox SET sent_at = ?1, gateway = ?2, gateway_id = ?3,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL, leased_until = NULL, last_error = NULL,
                    state = CASE WHEN state = 'queued' THEN 'accepted' ELSE state END,
                    state_at = CASE WHEN state = 'queued' THEN ?1 ELSE state_at END
             WHERE id = ?4",
                rusqlite::params_from_iter(values),
            )
        })
        .await?;
        Ok(())
    }

    async fn outbox_delivered(&self, message: MessageRef<'_>, at: DateTime<Utc>) -> Result<bool> {
        let sql = format!(
            "UPDATE outbox SET state = 'delivered', state_at = ?, leased_until = NULL,
                    key_id = NULL, sealed = NULL, recipient = NULL, body = NULL
             WHERE state IN ('queued', 'accepted') AND {}",
            message_clause(message)
        );
        let values = message_values(message, vec![ts(at).into()]);
        let done = self.write_alone(move |w| w.execute(&sql, rusqlite::params_from_iter(values))).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn outbox_retry(&self, id: i64, error: &str, next_attempt: DateTime<Utc>) -> Result<()> {
        let values: [rusqlite::types::Value; 3] = [error.to_owned().into(), ts(next_attempt).into(), id.into()];
        self.write_alone(move |w| {
            w.execute(
                "UPDATE outbox SET last_error = ?, not_before = ?, leased_until = NULL WHERE id = ?",
                rusqlite::params_from_iter(values),
            )
        })
        .await?;
        Ok(())
    }

    async fn pending_box_events(&self, limit: u32) -> Result<Vec<BoxEventRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM box_events WHERE applied_at IS NULL AND given_up_at IS NULL ORDER BY id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(map_box_event).collect()
    }

    async fn box_event_attempt_failed(&self, id: i64, error: &str) -> Result<()> {
        let values: [rusqlite::types::Value; 2] = [error.to_owned().into(), id.into()];
        self.write_alone(move |w| {
            w.execute(
                "UPDATE box_events SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                rusqlite::params_from_iter(values),
            )
        })
        .await?;
        Ok(())
    }

    async fn box_event_given_up(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<()> {
        let values: [rusqlite::types::Value; 3] = [error.to_owned().into(), ts(at).into(), id.into()];
        self.write_alone(move |w| {
            w.execute(
                "UPDATE box_events SET attempts = attempts + 1, last_error = ?, given_up_at = ? WHERE id = ?",
                rusqlite::params_from_iter(values),
            )
        })
        .await?;
        Ok(())
    }
}

impl From<SqliteStore> for Box<dyn Store> {
    fn from(s: SqliteStore) -> Self {
        Box::new(s)
    }
}

/// Creates the database file readable and writable by the service's user only, and narrows the files of
/// an existing one (database, write-ahead log, shared memory) the same way. SQLite gives the log and
/// shared-memory files it creates the database file's mode, so they follow.
fn restrict_files(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(db(e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = std::path::PathBuf::from(file);
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(db)?;
            }
        }
    }
    Ok(())
}

/// Keeps `StoreError` constructible here without naming sqlx in the trait crate.
pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use abholbox_store::NewAuditEntry;

    /// The queries a start, the housekeeping job and every door event ask are answered from indexes,
    /// not by reading a history of millions of pickups, sessions and door events.
    #[tokio::test]
    async fn what_runs_at_start_and_every_second_uses_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        for (query, index) in [
            (
                "SELECT * FROM pickups WHERE status = 'depositing' OR (status = 'ready' AND claimed_by IS NOT NULL)",
                "pickups_in_flight",
            ),
            ("SELECT * FROM kiosk_sessions WHERE step = 'collect' ORDER BY created_at", "kiosk_sessions_at_step"),
            (
                "SELECT EXISTS (SELECT 1 FROM box_events WHERE applied_at IS NULL AND given_up_at IS NULL
                   AND box_id = 'b' AND compartment = 1)",
                "box_events_pending_by_compartment",
            ),
        ] {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {query}")))
                .fetch_all(&store.pool)
                .await
                .unwrap();
            let plan = rows.iter().map(|r| sqlx::Row::get::<String, _>(r, "detail")).collect::<Vec<_>>().join(" ");
            assert!(plan.contains(index), "{query}: {plan}");
        }
        store.close().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn its_files_are_for_the_service_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&NewAuditEntry {
            at: Utc::now(),
            actor: "system".into(),
            action: "test",
            object: "x".into(),
            detail: serde_json::json!({}),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mode = |suffix: &str| {
            let file = dir.path().join(format!("t.db{suffix}"));
            std::fs::metadata(&file).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{file:?}: {e}"))
        };
        assert_eq!((mode(""), mode("-wal"), mode("-shm")), (0o600, 0o600, 0o600));
        store.close().await;

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(mode(""), 0o600, "an existing file is narrowed");
        store.close().await;
    }

    #[tokio::test]
    async fn durable_settings_and_an_append_only_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&store.pool).await.unwrap();
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&store.pool).await.unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1), "WAL, synchronous = FULL, foreign keys on");
        let permit = store.write_permit().await.unwrap();
        let writer: Vec<i64> = ["synchronous", "foreign_keys", "secure_delete"]
            .iter()
            .map(|p| permit.held.fetch_one_scalar(&format!("PRAGMA {p}"), []).unwrap())
            .collect();
        assert_eq!(writer, [2, 1, 1], "the writer commits durably, checks foreign keys and overwrites deletions");
        drop(permit);

        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&NewAuditEntry {
            at: Utc::now(),
            actor: "system".into(),
            action: "test",
            object: "x".into(),
            detail: serde_json::json!({}),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(sqlx::query("UPDATE audit_log SET actor = 'someone'").execute(&store.pool).await.is_err());
        assert!(sqlx::query("DELETE FROM audit_log").execute(&store.pool).await.is_err());
        assert_eq!(store.audit_entries(10).await.unwrap()[0].actor, "system");
        store.close().await;
    }

    /// An `abholbox` command writing the same file holds SQLite's write lock: the server's next
    /// write waits for it off the async workers, which go on meanwhile (this runtime has one).
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_waits_for_another_process_without_stalling_the_runtime() {
        use rusqlite::Connection;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE; INSERT INTO settings (name, value) VALUES ('other', '1')").unwrap();
        let begin = tokio::spawn({
            let store = store.clone();
            async move { store.begin().await.unwrap().commit().await.unwrap() }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let write = tokio::spawn({
            let store = store.clone();
            async move { store.agree_on("mine", "2").await.unwrap() }
        });
        for _ in 0..5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(!write.is_finished() && !begin.is_finished(), "both wait for the other process");
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(write.await.unwrap(), "2");
        begin.await.unwrap();
        assert_eq!(store.agree_on("other", "x").await.unwrap(), "1");
        store.close().await;
    }

    /// A transaction left open on the writer (a rollback that failed) is undone before the next
    /// write, instead of that write joining it and never being committed.
    #[tokio::test]
    async fn a_transaction_left_open_is_rolled_back_before_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let permit = store.write_permit().await.unwrap();
        permit
            .held
            .conn()
            .unwrap()
            .execute_batch("BEGIN; INSERT INTO settings (name, value) VALUES ('stale', '1')")
            .unwrap();
        drop(permit);
        assert_eq!(store.agree_on("alone", "1").await.unwrap(), "1");
        let mut tx = store.begin().await.unwrap();
        let entry = NewAuditEntry {
            at: Utc::now(),
            actor: "system".into(),
            action: "test",
            object: "x".into(),
            detail: serde_json::json!({}),
        };
        tx.append_audit(&entry).await.unwrap();
        tx.commit().await.unwrap();
        let readers: Vec<String> =
            sqlx::query_scalar("SELECT name FROM settings ORDER BY name").fetch_all(&store.pool).await.unwrap();
        assert!(readers.contains(&"alone".to_owned()) && !readers.contains(&"stale".to_owned()), "{readers:?}");
        assert_eq!(store.audit_entries(10).await.unwrap().len(), 1, "the transaction after it committed");
        store.close().await;
    }

    /// Writes that queue for the writer share one flush to disk, and each returns once it is done.
    #[tokio::test]
    async fn writes_that_queue_together_share_one_flush() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let (commits, flushes) = (store.changes.commits(), store.changes.flushes());
        let permit = store.write_permit().await.unwrap();
        let writes: Vec<_> = (0..5)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.agree_on(&format!("queued-{i}"), "1").await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(permit);
        for write in writes {
            assert_eq!(write.await.unwrap().unwrap(), "1");
        }
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM settings WHERE name LIKE 'queued-%'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(stored, 5, "every write is visible to readers once its commit returned");
        assert_eq!(store.changes.commits() - commits, 5);
        assert_eq!(store.changes.flushes() - flushes, 1, "the five queued writes were flushed together");
        store.close().await;
    }

    /// A write of a group that fails is undone alone; the others of its group are committed.
    #[tokio::test]
    async fn a_write_undone_in_a_group_leaves_the_others_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let flushes = store.changes.flushes();
        let permit = store.write_permit().await.unwrap();
        let write = |name: &'static str, fails: bool| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write_alone(move |w| {
                        w.execute("INSERT INTO settings (name, value) VALUES (?, '1')", [name])?;
                        if fails { Err(StoreError::Retry) } else { Ok(()) }
                    })
                    .await
            })
        };
        let writes = [write("before", false), write("failing", true), write("after", false)];
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(permit);
        let outcomes: Vec<bool> = which_succeeded(writes).await;
        assert_eq!(outcomes, [true, false, true]);
        let stored: Vec<String> = sqlx::query_scalar("SELECT name FROM settings WHERE value = '1' ORDER BY name")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(stored, ["after", "before"], "the failed write's row is gone, its neighbours' are kept");
        assert_eq!(store.changes.flushes() - flushes, 1, "the writes shared one flush");
        store.close().await;
    }

    /// When the flush of a group fails (here a foreign key checked only at commit), every write of
    /// the group is told so and none of them is kept; the writer goes on with the next.
    #[tokio::test]
    async fn a_failed_flush_fails_every_write_of_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let permit = store.write_permit().await.unwrap();
        let good = tokio::spawn({
            let store = store.clone();
            async move {
                store.write_alone(|w| w.execute("INSERT INTO settings (name, value) VALUES ('good', '1')", [])).await
            }
        });
        let breaking = tokio::spawn(a_write_whose_flush_fails(store.clone()));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(permit);
        assert!(good.await.unwrap().is_err(), "the write that shared the failed flush is told");
        assert!(breaking.await.unwrap().is_err());
        let kept: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM settings WHERE name = 'good') + (SELECT count(*) FROM boxes)",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(kept, 0, "nothing of the group was kept");
        assert_eq!(store.agree_on("next", "1").await.unwrap(), "1", "the next write is committed");
        store.close().await;
    }

    /// A write that saw others of its group and then ended without committing (here it refused
    /// something) answers only once those are durable, and learns if they were lost: a refusal
    /// resting on writes a failed flush undid must not leave the process as if they held.
    #[tokio::test]
    async fn a_refusal_resting_on_writes_not_yet_durable_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let permit = store.write_permit().await.unwrap();
        let lost = tokio::spawn(a_write_whose_flush_fails(store.clone()));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let refusal = tokio::spawn({
            let store = store.clone();
            abholbox_store::settled(async move {
                store
                    .write_alone(|w| {
                        let seen: i64 = w.fetch_one_scalar("SELECT count(*) FROM boxes WHERE id = 'b'", [])?;
                        if seen == 1 {
                            Err::<(), _>(StoreError::Conflict(abholbox_store::Rule::Identity))
                        } else {
                            Ok(())
                        }
                    })
                    .await
            })
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(permit);
        assert!(lost.await.unwrap().is_err());
        let (answer, durable) = refusal.await.unwrap();
        assert!(matches!(answer, Err(StoreError::Conflict(_))), "it saw the box of the write before it");
        assert!(durable.is_err(), "and learns that box was never kept: {durable:?}");
        store.close().await;
    }

    /// A write that passes but whose flush fails: a foreign key checked only at commit.
    async fn a_write_whose_flush_fails(store: SqliteStore) -> Result<writer::Done> {
        store
            .write_alone(|w| {
                w.execute("PRAGMA defer_foreign_keys = ON", [])?;
                w.execute("INSERT INTO boxes (id, site_id, name, driver) VALUES ('b', 'no-site', 'x', 'sim')", [])
            })
            .await
    }

    async fn which_succeeded<T>(writes: impl IntoIterator<Item = tokio::task::JoinHandle<Result<T>>>) -> Vec<bool> {
        let mut outcomes = Vec::new();
        for write in writes {
            outcomes.push(write.await.unwrap().is_ok());
        }
        outcomes
    }

    /// Those waiting for a key are told of its commit even when the caller stopped waiting for the
    /// commit (a request cut off while the disk was flushed).
    #[tokio::test]
    async fn a_commit_whose_caller_went_away_still_wakes_its_waiters() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let pickup = PickupId::from_random([7; 16]);
        let watched = store.changes().watch(pickup.as_str());
        let woken = watched.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let mut tx = store.begin().await.unwrap();
        let hash = |h: u8| abholbox_store::KeyedHash { key_id: "k".into(), hash: vec![h; 32] };
        tx.rekey_phone(&pickup, &hash(1), &hash(2)).await.unwrap();
        let mut commit = tx.commit();
        let polled = commit.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        assert!(polled.is_pending(), "the commit waits for the disk on the blocking pool");
        drop(commit);
        tokio::time::timeout(std::time::Duration::from_secs(5), woken).await.expect("the waiter was woken");
        store.close().await;
    }
}
