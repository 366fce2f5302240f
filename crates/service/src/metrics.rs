//! Figures for monitoring and the load generator: what this server process has done and holds.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Service;

/// What the outbox did in this process.
#[derive(Debug, Default)]
pub(crate) struct SmsCounts {
    pub(crate) accepted: AtomicU64,
    pub(crate) given_up: AtomicU64,
}

/// A snapshot of this process's counters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Write transactions committed through this process's store since it started: the load
    /// generator divides them by the pickups it drove to count what one pickup costs.
    pub commits: u64,
    /// Flushes to disk that made those commits durable: on SQLite, writes that queue together share
    /// one (group commit), so fewer flushes than commits means writes waited for one another.
    pub flushes: u64,
    /// Time spent inside write transactions, summed: on SQLite (one writer) its growth over a span
    /// of wall time is the share of it the writer was busy.
    pub write_time: std::time::Duration,
    /// Resident memory, where the system tells it (Linux).
    pub resident_bytes: Option<u64>,
    /// SMS handed to a gateway by this process.
    pub sms_accepted: u64,
    /// SMS given up by this process (refused for good, or not accepted in time).
    pub sms_given_up: u64,
}

impl Service {
    pub fn metrics(&self) -> Metrics {
        Metrics {
            commits: self.store.changes().commits(),
            flushes: self.store.changes().flushes(),
            write_time: self.store.changes().write_time(),
            resident_bytes: resident_bytes(),
            sms_accepted: self.sms_counts.accepted.load(Ordering::Relaxed),
            sms_given_up: self.sms_counts.given_up.load(Ordering::Relaxed),
        }
    }
}

/// `VmRSS` of `/proc/self/status`, in kB whatever the page size.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_resident_memory() {
        let bytes = super::resident_bytes().unwrap();
        assert!(bytes > 1024 * 1024, "{bytes}");
    }
}
