//! The one connection that writes, run inline on the task that writes, and its group commit.
//!
//! sqlx drives each SQLite connection from a worker thread of its own and hands every statement to it
//! and back: two thread wake-ups per statement, 40–140 µs under load, about a hundred times per
//! pickup, all while the single write lock is held, so that the lock, not the disk, set the pace.
//! The writer instead runs its statements (prepared once, then cached) where the write happens; a
//! statement costs SQLite's own few microseconds.
//!
//! The commit's flush to disk is the dearest part of a write (0.3–1 ms), and SQLite's one writer
//! cannot start the next transaction while it lasts. So writes that queue for the writer share one
//! flush: each runs inside a savepoint of one SQLite transaction (its own rollback undoes only its
//! own work), and when the first of them is done it queues a flush behind those already waiting for
//! the writer; the flush commits them all at once, on tokio's blocking pool, and only then does each
//! of their commits return (and those waiting for the keys they changed are told). A write alone
//! pays one flush as before; fifteen kiosks at once share one. Reads stay on sqlx's pool, side by
//! side (WAL), and see a group's writes when its flush is done.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use abholbox_store::{Changes, Result, StoreError};
use rusqlite::types::{FromSql, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, Params};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::corrupt;
use crate::rows::{db, is_busy, write_err};

/// How long a write waits for SQLite's lock when another process holds it; the readers wait as long.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Statements kept prepared: every statement a write transaction uses, with room to spare.
const STATEMENT_CACHE: usize = 256;

/// The writer's connection and the writes waiting for its next flush.
#[derive(Debug, Default)]
pub(crate) struct WriterState {
    /// `None` once the store is closed.
    conn: Option<Connection>,
    group: Option<Group>,
}

/// Writes done and waiting for one flush: what each changed, and where they learn how it went.
#[derive(Debug)]
struct Group {
    touched: Vec<Vec<String>>,
    done: watch::Sender<Option<Flushed>>,
}

/// How a group's flush went, told to each of its writes.
type Flushed = std::result::Result<(), FlushFailed>;

/// A failed flush, kept so that every write of the group can be told.
#[derive(Debug, Clone)]
struct FlushFailed {
    busy: bool,
    message: Arc<str>,
}

impl FlushFailed {
    fn new(e: &rusqlite::Error) -> Self {
        Self { busy: is_busy(e), message: e.to_string().into() }
    }

    fn into_error(self) -> StoreError {
        if self.busy { StoreError::Retry } else { db(std::io::Error::other(self.message.to_string())) }
    }
}

/// The writer, behind a fair lock: writes take it in the order they asked.
pub(crate) type Writer = Arc<Mutex<WriterState>>;

/// Where a write waits for the flush that makes it durable.
#[derive(Debug)]
pub(crate) struct Flush(watch::Receiver<Option<Flushed>>);

impl Flush {
    pub(crate) async fn wait(mut self) -> Result<()> {
        let flushed = self.0.wait_for(Option::is_some).await.map_err(db)?.clone();
        flushed.unwrap_or(Ok(())).map_err(FlushFailed::into_error)
    }
}

/// Opens the writer's connection with the store's settings (see [`crate::settings`]): durable commits,
/// foreign keys, erased rows overwritten; checkpoints are left to the checkpointer, and past this many
/// pages the writer still checkpoints itself, should the checkpointer fall behind.
///
/// Its temporary structures stay in memory: a write's savepoint journal outgrew SQLite's 64 KiB and
/// went to a temporary file, created, written and unlinked once per flush (a tenth of the server's
/// CPU under load). The writer's statements only ever sort or collect a few hundred rows, so memory
/// bounds nothing that a file would.
pub(crate) fn open(path: &Path) -> Result<Writer> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 10000; PRAGMA temp_store = MEMORY;",
    )
    .map_err(db)?;
    keep_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(Arc::new(Mutex::new(WriterState { conn: Some(conn), group: None })))
}

/// Keeps each statement's plan whatever its parameters hold. Without this, SQLite compiles a
/// statement again whenever a parameter it may plan by (such as a bound `LIMIT`) is bound anew,
/// which is every time it runs: loading a document spent a twentieth of the server's CPU compiling
/// its compartment query over and over. What a plan can no longer use: `ANALYZE` statistics (the
/// store gathers none), a bound value to choose a partial index (the store's queries state those
/// conditions as literals), and a bound `LIMIT` to size a sort.
pub(crate) fn keep_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(db)?;
    Ok(())
}

/// Undoes the whole transaction, every write of the group with it.
fn roll_back_all(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a write failed");
    }
}

/// Tells a group its writes were undone (one of them could not be undone on its own).
fn fail_group(state: &mut WriterState, message: &str) {
    if let Some(group) = state.group.take() {
        group.done.send_replace(Some(Err(FlushFailed { busy: false, message: message.into() })));
    }
}

/// The writer, held: by one write from its start to its end, or by a flush.
#[derive(Debug)]
pub(crate) struct Held {
    guard: OwnedMutexGuard<WriterState>,
    /// A write's savepoint is open: undone if the write ends without [`Held::release`].
    in_write: bool,
    /// The flush of the writes this write joined, not yet durable when it started: should it end
    /// without its release, its answer waits for them ([`abholbox_store::wait_before_answering`]).
    joined: Option<Flush>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.in_write {
            self.abandon();
        }
    }
}

impl Held {
    pub(crate) async fn take(writer: &Writer) -> Self {
        Self { guard: writer.clone().lock_owned().await, in_write: false, joined: None }
    }

    /// The writer taken from a blocking thread, queued like any write.
    pub(crate) fn take_blocking(writer: &Writer) -> Self {
        Self { guard: writer.clone().blocking_lock_owned(), in_write: false, joined: None }
    }

    pub(crate) fn writer(&self) -> &Writer {
        OwnedMutexGuard::mutex(&self.guard)
    }

    /// Commits the writes waiting for a flush, if any, and tells them and those waiting for their
    /// keys. Runs off the async workers (it waits for the disk).
    pub(crate) fn flush(&mut self, changes: &Changes) {
        let state = &mut *self.guard;
        let Some(group) = state.group.take() else { return };
        let flushed = match state.conn.as_ref() {
            None => Err(FlushFailed { busy: false, message: "the store is closed".into() }),
            // SQLite undid the whole transaction on an error of one of them (I/O, memory): all are lost.
            Some(conn) if conn.is_autocommit() => {
                Err(FlushFailed { busy: false, message: "the write transaction was undone".into() })
            }
            Some(conn) => conn.execute_batch("COMMIT").map_err(|e| {
                roll_back_all(conn);
                FlushFailed::new(&e)
            }),
        };
        if flushed.is_ok() {
            changes.flushed();
            for keys in &group.touched {
                changes.committed(keys.iter().map(String::as_str));
            }
        }
        group.done.send_replace(Some(flushed));
    }

    /// Gives the connection up (the store closes): a later write finds the store closed.
    pub(crate) fn close(&mut self) {
        self.guard.conn.take();
    }

    pub(crate) fn conn(&self) -> Result<&Connection> {
        self.guard.conn.as_ref().ok_or_else(|| db(std::io::Error::other("the store is closed")))
    }

    /// Starts a write without waiting: inside the transaction of the writes that wait for a flush, if
    /// any, else with `BEGIN IMMEDIATE`. `Ok(false)` when another process (an `abholbox` command
    /// applying the configuration beside the server) holds SQLite's write lock, to be waited for with
    /// [`Held::start_waiting`] off the async workers.
    pub(crate) fn start_now(&mut self) -> Result<bool> {
        if self.joins_group()? {
            self.open_savepoint()?;
            return Ok(true);
        }
        let conn = self.idle()?;
        conn.busy_timeout(Duration::ZERO).map_err(db)?;
        let begun = conn.execute_batch("BEGIN IMMEDIATE");
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        match begun {
            Ok(()) => self.open_savepoint().map(|()| true),
            Err(e) if is_busy(&e) => Ok(false),
            Err(e) => Err(db(e)),
        }
    }

    /// Starts a write, waiting up to the busy timeout for SQLite's write lock.
    pub(crate) fn start_waiting(&mut self) -> Result<()> {
        if !self.joins_group()? {
            self.idle()?.execute_batch("BEGIN IMMEDIATE").map_err(write_err)?;
        }
        self.open_savepoint()
    }

    /// Whether writes wait for a flush in an open transaction that this write can join; should SQLite
    /// have undone that transaction (an I/O error in one of them), they are told so instead.
    fn joins_group(&mut self) -> Result<bool> {
        let Some(group) = &self.guard.group else { return Ok(false) };
        let joined = Flush(group.done.subscribe());
        if self.conn()?.is_autocommit() {
            fail_group(&mut self.guard, "the write transaction was undone");
            return Ok(false);
        }
        self.joined = Some(joined);
        Ok(true)
    }

    fn open_savepoint(&mut self) -> Result<()> {
        let conn = self.conn()?;
        match conn.execute_batch("SAVEPOINT write") {
            Ok(()) => {
                self.in_write = true;
                Ok(())
            }
            Err(e) => {
                if self.guard.group.is_none() {
                    roll_back_all(conn);
                }
                Err(db(e))
            }
        }
    }

    /// The connection, with no transaction left open on it but that of a group waiting for its flush:
    /// should an earlier rollback have failed, it is rolled back now, and if that fails too the write
    /// fails instead of joining the remains of another.
    fn idle(&self) -> Result<&Connection> {
        let conn = self.conn()?;
        if self.guard.group.is_none() && !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(db)?;
        }
        Ok(conn)
    }

    /// Ends a write's work: it joins the writes waiting for the next flush. The first to join must
    /// have that flush queued ([`queue_flush`]); all then wait for it with the returned [`Flush`].
    pub(crate) fn release(&mut self, touched: Vec<String>) -> Result<(Flush, bool)> {
        let released = self.conn()?.execute_batch("RELEASE write");
        if let Err(e) = released {
            self.abandon();
            return Err(db(e));
        }
        self.in_write = false;
        self.joined = None;
        let first = self.guard.group.is_none();
        let group = self.guard.group.get_or_insert_with(|| Group { touched: Vec::new(), done: watch::channel(None).0 });
        group.touched.push(touched);
        Ok((Flush(group.done.subscribe()), first))
    }

    /// Undoes a write that ended without its release (an error, a request cut off): its own work only,
    /// unless that fails, when the whole transaction is rolled back and the group told.
    fn abandon(&mut self) {
        self.in_write = false;
        if let Some(joined) = self.joined.take() {
            abholbox_store::wait_before_answering(joined.wait());
        }
        let Some(conn) = self.guard.conn.as_ref() else { return };
        let whole = if conn.is_autocommit() {
            true
        } else {
            match conn.execute_batch("ROLLBACK TO write; RELEASE write") {
                Ok(()) => self.guard.group.is_none(),
                Err(e) => {
                    tracing::error!(error = %e, "undoing a write failed; its group is undone");
                    true
                }
            }
        };
        if whole {
            roll_back_all(conn);
            fail_group(&mut self.guard, "another write of the group could not be undone alone");
        }
    }

    /// Runs a statement that returns no rows; a unique violation is reported as the rule it breaks.
    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> Result<Done> {
        let changed = self.conn()?.prepare_cached(sql).map_err(db)?.execute(params).map_err(write_err)?;
        Ok(Done(changed))
    }

    /// Every row a statement returns (`RETURNING` statements too).
    pub(crate) fn fetch_all(&self, sql: &str, params: impl Params) -> Result<Vec<OwnedRow>> {
        self.fetch(sql, params, usize::MAX)
    }

    /// The first row a statement returns, if any; the rest are not read.
    pub(crate) fn fetch_optional(&self, sql: &str, params: impl Params) -> Result<Option<OwnedRow>> {
        Ok(self.fetch(sql, params, 1)?.pop())
    }

    /// At most `limit` rows, copied out of the statement.
    fn fetch(&self, sql: &str, params: impl Params, limit: usize) -> Result<Vec<OwnedRow>> {
        fetch(self.conn()?, sql, params, limit)
    }

    /// The first row of a statement that always returns one.
    pub(crate) fn fetch_one(&self, sql: &str, params: impl Params) -> Result<OwnedRow> {
        self.fetch_optional(sql, params)?.ok_or_else(|| db(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The first column of the first row of a statement that always returns one.
    pub(crate) fn fetch_one_scalar<T: FromSql>(&self, sql: &str, params: impl Params) -> Result<T> {
        self.conn()?.prepare_cached(sql).map_err(db)?.query_row(params, |row| row.get(0)).map_err(db)
    }
}

/// At most `limit` rows of a statement on `conn`, copied out of it.
pub(crate) fn fetch(conn: &Connection, sql: &str, params: impl Params, limit: usize) -> Result<Vec<OwnedRow>> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = statement.query(params).map_err(write_err)?;
    let mut read = Vec::new();
    let mut names = None;
    while read.len() < limit
        && let Some(row) = rows.next().map_err(write_err)?
    {
        // Named only once the statement has run: a statement cached before a schema change is
        // compiled again by its first step, and names its columns as they were until then.
        let names = names.get_or_insert_with(|| column_names(sql, row.as_ref()));
        let values = (0..names.len()).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>();
        read.push(OwnedRow { names: names.clone(), values: values.map_err(db)? });
    }
    Ok(read)
}

/// A statement's column names, shared by every row read with the same SQL on this thread. Checked
/// against the statement each time (comparing, not copying), so that a schema changed since cannot
/// name a value wrongly; copying them for each read was a fortieth of the server's CPU.
fn column_names(sql: &str, statement: &rusqlite::Statement<'_>) -> Arc<[String]> {
    const MOST_REMEMBERED: usize = 512;
    thread_local! {
        static NAMES: RefCell<HashMap<String, Arc<[String]>>> = RefCell::new(HashMap::new());
    }
    NAMES.with_borrow_mut(|known| {
        let width = statement.column_count();
        if let Some(names) = known.get(sql)
            && names.len() == width
            && names.iter().enumerate().all(|(i, name)| statement.column_name(i).is_ok_and(|n| n == name))
        {
            return names.clone();
        }
        let names: Arc<[String]> = statement.column_names().into_iter().map(str::to_owned).collect();
        if known.len() >= MOST_REMEMBERED {
            known.clear();
        }
        known.insert(sql.to_owned(), names.clone());
        names
    })
}

/// Queues the flush of the group a write has just opened, behind the writes already waiting for the
/// writer: those join the group before the flush gets its turn. On the blocking pool, as it waits for
/// the disk.
pub(crate) fn queue_flush(writer: Writer, changes: Arc<Changes>) {
    tokio::task::spawn_blocking(move || {
        let mut held = Held::take_blocking(&writer);
        let _hold = changes.hold();
        held.flush(&changes);
    });
}

/// What a statement changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done(usize);

impl Done {
    pub(crate) fn rows_affected(self) -> u64 {
        u64::try_from(self.0).unwrap_or(u64::MAX)
    }
}

/// A row read by the writer, copied out of the statement so that the statement is free for the next
/// use; read by column name like the readers' rows.
#[derive(Clone)]
pub(crate) struct OwnedRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

/// Names the columns only: a row may hold personal data in the clear.
impl std::fmt::Debug for OwnedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedRow").field("columns", &self.names).finish_non_exhaustive()
    }
}

impl OwnedRow {
    fn value(&self, column: &str) -> rusqlite::Result<ValueRef<'_>> {
        self.names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(column))
            .and_then(|i| self.values.get(i))
            .map(ValueRef::from)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(column.to_owned()))
    }

    pub(crate) fn try_get<T: FromSql, C: AsRef<str>>(&self, column: C) -> rusqlite::Result<T> {
        let value = self.value(column.as_ref())?;
        T::column_result(value)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, value.data_type(), Box::new(e)))
    }
}

impl crate::rows::Columns for OwnedRow {
    fn text(&self, col: &'static str) -> Result<Option<String>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }

    fn int(&self, col: &'static str) -> Result<Option<i64>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }

    fn bytes(&self, col: &'static str) -> Result<Option<Vec<u8>>> {
        self.try_get(col).map_err(|_| corrupt(col))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn first(conn: &Connection, column: &str) -> i64 {
        let rows = fetch(conn, "SELECT * FROM t", [], 1).unwrap();
        rows.first().unwrap().value(column).unwrap().as_i64().unwrap()
    }

    #[test]
    fn a_remembered_statement_names_the_columns_of_the_schema_as_it_is_now() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b INTEGER); INSERT INTO t VALUES (1, 2);").unwrap();
        assert_eq!((first(&conn, "a"), first(&conn, "b")), (1, 2));
        conn.execute_batch("DROP TABLE t; CREATE TABLE t (b INTEGER, a INTEGER); INSERT INTO t VALUES (3, 4);")
            .unwrap();
        assert_eq!((first(&conn, "a"), first(&conn, "b")), (4, 3));
        conn.execute_batch("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 5").unwrap();
        assert_eq!(first(&conn, "c"), 5);
    }
}
