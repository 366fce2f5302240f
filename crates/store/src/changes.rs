//! Who waits for a change, and telling them once it is committed.
//!
//! A kiosk or an integrator that long-polls a session or a pickup waits here for its key; a store
//! tells the keys a transaction touched right after that transaction committed, so a waiter woken
//! always reads the new state. Counting commits here, and the time spent inside write transactions,
//! also gives the benchmark its measure.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Waiters by key (a pickup id, a session id), and the count of commits.
#[derive(Debug, Default)]
pub struct Changes {
    waiters: Mutex<HashMap<String, Weak<Notify>>>,
    commits: AtomicU64,
    flushes: AtomicU64,
    write_nanos: AtomicU64,
}

/// A write transaction under way, timed: it adds its duration to [`Changes::write_time`] when it
/// ends, committed or not. On SQLite, with its one writer, that total over a run's wall time is how
/// busy the writer was, the first thing to know when throughput stops growing.
#[derive(Debug)]
pub struct WriteHold {
    changes: Arc<Changes>,
    since: Instant,
}

impl Drop for WriteHold {
    fn drop(&mut self) {
        let nanos = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.changes.write_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl Changes {
    /// Something to wait on for `key`; hold it across the check, so that a change committed after the
    /// check wakes it.
    pub fn watch(&self, key: &str) -> Arc<Notify> {
        let mut waiters = self.waiters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = waiters.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        if waiters.len() > 1024 {
            waiters.retain(|_, w| w.strong_count() > 0);
        }
        let notify = Arc::new(Notify::new());
        waiters.insert(key.to_owned(), Arc::downgrade(&notify));
        notify
    }

    /// Called by a store after a commit, with the keys the transaction changed.
    pub fn committed<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        let waiters = self.waiters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            if let Some(n) = waiters.get(key).and_then(Weak::upgrade) {
                n.notify_waiters();
            }
        }
    }

    /// Write transactions committed through this store since it opened.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Called by a store after it made commits durable with one flush to disk (SQLite's group
    /// commit: one flush for the writes that queued together; one per commit elsewhere).
    pub fn flushed(&self) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
    }

    /// Flushes to disk that made this store's commits durable, since it opened.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Starts timing a write transaction; hold the result until the transaction has ended.
    pub fn hold(self: &Arc<Self>) -> WriteHold {
        WriteHold { changes: self.clone(), since: Instant::now() }
    }

    /// Time spent inside write transactions that have ended, summed over all of them.
    pub fn write_time(&self) -> Duration {
        Duration::from_nanos(self.write_nanos.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_is_woken_by_its_key_only() {
        let changes = Changes::default();
        let watched = changes.watch("pu_1");
        let woken = watched.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        changes.committed(["ks_2"]);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(20), woken.as_mut()).await.is_err());
        changes.committed(["pu_1"]);
        woken.await;
        assert_eq!(changes.commits(), 2);
    }

    #[test]
    fn a_write_counts_its_time_once_it_ends() {
        let changes: Arc<Changes> = Arc::default();
        let hold = changes.hold();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(changes.write_time(), Duration::ZERO, "not while it goes on");
        drop(hold);
        let first = changes.write_time();
        assert!(first >= Duration::from_millis(5), "{first:?}");
        drop(changes.hold());
        assert!(changes.write_time() >= first);
    }
}
