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
