//! Short lookups answered on the caller's thread, from read connections of the store's own.
//!
//! Every request looks up its API token, and most look up a pickup or a kiosk session by its id.
//! Through the read pool such a lookup is handed to a driver thread and back; a lookup by a unique
//! key takes microseconds, less than the hand-off. Only such lookups belong here: a long read would
//! hold up the async worker that runs it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use abholbox_store::Result;
use rusqlite::{Connection, OpenFlags, Params};

use crate::rows::db;
use crate::writer::{BUSY_TIMEOUT, OwnedRow, fetch, keep_plans};

/// Idle connections kept for the next lookup; more are opened while all are in use.
const KEEP_IDLE: usize = 4;

#[derive(Debug)]
pub(crate) struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReads {
    pub(crate) fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }
    }

    /// The first row a statement returns, if any.
    pub(crate) fn fetch_optional(&self, sql: &str, params: impl Params) -> Result<Option<OwnedRow>> {
        let conn = match self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop() {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let row = fetch(&conn, sql, params, 1).map(|mut rows| rows.pop());
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
        row
    }
}

fn open(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    keep_plans(&conn)?;
    Ok(conn)
}
