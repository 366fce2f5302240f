//! The one connection that writes, run inline on the task that writes.
//!
//! sqlx drives each SQLite connection from a worker thread of its own and hands every statement to it
//! and back: two thread wake-ups per statement, 40–140 µs under load, about a hundred times per
//! pickup, all while the single write lock is held, so that the lock, not the disk, set the pace.
//! The writer instead runs its statements (prepared once, then cached) where the write happens; a
//! statement costs SQLite's own few microseconds, and the lock is held for little more than the
//! work and the commit's flush to disk. The commit alone, which waits for the disk, goes to tokio's
//! blocking pool: one hand-off per transaction, and no async worker stalls on a slow flush. Reads
//! stay on sqlx's pool, side by side (WAL).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use abholbox_store::Result;
use rusqlite::types::{FromSql, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, Params};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::corrupt;
use crate::rows::{db, write_err};

/// How long a write waits for SQLite's lock when another process holds it; the readers wait as long.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Statements kept prepared: every statement a write transaction uses, with room to spare.
const STATEMENT_CACHE: usize = 256;

/// The writer's connection, `None` once the store is closed.
pub(crate) type Writer = Arc<Mutex<Option<Connection>>>;

/// Opens the writer's connection with the store's settings (see [`crate::settings`]): durable commits,
/// foreign keys, erased rows overwritten; checkpoints are left to the checkpointer, and past this many
/// pages the writer still checkpoints itself, should the checkpointer fall behind.
pub(crate) fn open(path: &Path) -> Result<Writer> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 10000;",
    )
    .map_err(db)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(Arc::new(Mutex::new(Some(conn))))
}

/// The writer, held: from one write's `BEGIN IMMEDIATE` to its end.
#[derive(Debug)]
pub(crate) struct Held(pub(crate) OwnedMutexGuard<Option<Connection>>);

impl Held {
    pub(crate) fn conn(&self) -> Result<&Connection> {
        self.0.as_ref().ok_or_else(|| db(std::io::Error::other("the store is closed")))
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
        let mut statement = self.conn()?.prepare_cached(sql).map_err(db)?;
        let names: Arc<[String]> = statement.column_names().into_iter().map(str::to_owned).collect();
        let width = names.len();
        let mut rows = statement.query(params).map_err(write_err)?;
        let mut read = Vec::new();
        while read.len() < limit
            && let Some(row) = rows.next().map_err(write_err)?
        {
            let values = (0..width).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>();
            read.push(OwnedRow { names: names.clone(), values: values.map_err(db)? });
        }
        Ok(read)
    }

    /// The first row of a statement that always returns one.
    pub(crate) fn fetch_one(&self, sql: &str, params: impl Params) -> Result<OwnedRow> {
        self.fetch_optional(sql, params)?.ok_or_else(|| db(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The first column of the first row of a statement that always returns one.
    pub(crate) fn fetch_one_scalar<T: FromSql>(&self, sql: &str, params: impl Params) -> Result<T> {
        self.conn()?.prepare_cached(sql).map_err(db)?.query_row(params, |row| row.get(0)).map_err(db)
    }

    /// Starts a write transaction without waiting: `Ok(false)` when another process (an `abholbox`
    /// command applying the configuration beside the server) holds SQLite's write lock, to be
    /// waited for with [`Held::begin_waiting`] off the async workers.
    pub(crate) fn begin_now(&self) -> Result<bool> {
        let conn = self.idle()?;
        conn.busy_timeout(Duration::ZERO).map_err(db)?;
        let begun = conn.execute_batch("BEGIN IMMEDIATE");
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        match begun {
            Ok(()) => Ok(true),
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => Ok(false),
            Err(e) => Err(db(e)),
        }
    }

    /// Starts a write transaction, waiting up to the busy timeout for SQLite's write lock.
    pub(crate) fn begin_waiting(&self) -> Result<()> {
        self.idle()?.execute_batch("BEGIN IMMEDIATE").map_err(write_err)
    }

    /// The connection, with no transaction left open on it: should an earlier rollback have failed,
    /// it is rolled back now, and if that fails too the write fails instead of joining the remains
    /// of another.
    pub(crate) fn idle(&self) -> Result<&Connection> {
        let conn = self.conn()?;
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(db)?;
        }
        Ok(conn)
    }

    pub(crate) fn commit(&self) -> Result<()> {
        self.conn()?.execute_batch("COMMIT").map_err(db)
    }

    /// Undoes a transaction left open (dropped before its commit, or its commit failed); a no-op
    /// otherwise.
    pub(crate) fn roll_back(&self) {
        if let Ok(conn) = self.conn()
            && !conn.is_autocommit()
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rolling back a write failed");
        }
    }
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
