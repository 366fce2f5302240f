//! Figures for monitoring and the load generator: what this server process has done and holds.

use crate::Service;

/// A snapshot of this process's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metrics {
    /// Write transactions committed through this process's store since it started: the load
    /// generator divides them by the pickups it drove to count what one pickup costs.
    pub commits: u64,
    /// Resident memory, where the system tells it (Linux).
    pub resident_bytes: Option<u64>,
}

impl Service {
    pub fn metrics(&self) -> Metrics {
        Metrics { commits: self.store.changes().commits(), resident_bytes: resident_bytes() }
    }
}

/// The second field of `/proc/self/statm` is the resident set in pages.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
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
