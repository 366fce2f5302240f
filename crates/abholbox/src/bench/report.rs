//! What a run found, as a table for people or one JSON object for scripts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::latency::Summary;

/// The calls a kiosk panel makes: their p99 is the citizen's wait at the panel.
const KIOSK_CALLS: [&str; 4] = ["kiosk_start", "kiosk_phone", "kiosk_pin", "kiosk_birth_date"];

/// Figures about the server the bench started itself.
#[derive(Debug, Serialize)]
pub struct ServerFigures {
    /// The first start of the run: on a fresh database it creates the schema, the boxes and their
    /// compartments.
    pub startup_ms_first: f64,
    /// A start on the database as the first one left it: as every later start is.
    pub startup_ms: f64,
    pub rss_idle_mb: Option<f64>,
    pub rss_peak_mb: Option<f64>,
    /// CPU time the server used per completed pickup, user and system.
    pub cpu_ms_per_pickup: Option<f64>,
}

pub struct Inputs {
    pub backend: &'static str,
    pub kiosks: u32,
    pub rate: Option<f64>,
    pub completed: u64,
    pub failures: Vec<String>,
    pub elapsed: Duration,
    pub limit_commits_per_s: Option<f64>,
    pub limit_writers: Option<u32>,
    pub commits: Option<u64>,
    pub flushes: Option<u64>,
    /// Time the server spent inside write transactions during the run.
    pub write_seconds: Option<f64>,
    pub calls: BTreeMap<&'static str, Summary>,
    pub late_starts: u64,
    pub bench_cpu_ms_per_pickup: Option<f64>,
    pub server: Option<ServerFigures>,
}

/// The report; the field names are what scripts rely on.
#[derive(Debug, Serialize)]
pub struct Report {
    pub database: &'static str,
    pub kiosks: u32,
    /// Open loop: pickups started per second; closed loop: null.
    pub rate: Option<f64>,
    pub pickups: u64,
    pub failed: u64,
    pub seconds: f64,
    pub pickups_per_s: f64,
    pub limit_commits_per_s: Option<f64>,
    /// How many writers the limit was measured with: SQLite's one, or as many PostgreSQL clients as
    /// the server's pool (`database_connections`).
    pub limit_writers: Option<u32>,
    pub commits_per_pickup: Option<f64>,
    /// Flushes to disk per pickup: fewer than its commits when writes queued together and shared one
    /// (SQLite's group commit).
    pub flushes_per_pickup: Option<f64>,
    /// pickups/s ÷ (limit ÷ commits per pickup): the share of the disk's ceiling the product reaches.
    pub limit_ratio: Option<f64>,
    /// Time inside write transactions per second of the run: on SQLite, with its one writer, the
    /// share of the run the writer was busy (near 1: the writer is what holds throughput back).
    pub write_busy: Option<f64>,
    /// The highest p99 among the kiosk's calls.
    pub kiosk_p99_ms: Option<f64>,
    pub late_starts: u64,
    /// CPU time the load generator itself used per pickup (it shares the machine with the server).
    pub bench_cpu_ms_per_pickup: Option<f64>,
    pub calls: BTreeMap<&'static str, Summary>,
    pub server: Option<ServerFigures>,
    /// The first failures, for a look.
    pub failures: Vec<String>,
}

impl Report {
    pub fn new(i: Inputs) -> Self {
        let seconds = i.elapsed.as_secs_f64();
        let pickups_per_s = if seconds > 0.0 { i.completed as f64 / seconds } else { 0.0 };
        let per_pickup = |n: Option<u64>| n.filter(|_| i.completed > 0).map(|n| n as f64 / i.completed as f64);
        let commits_per_pickup = per_pickup(i.commits);
        let limit_ratio = match (i.limit_commits_per_s, commits_per_pickup) {
            (Some(limit), Some(per)) if limit > 0.0 && per > 0.0 => Some(pickups_per_s / (limit / per)),
            _ => None,
        };
        let kiosk_p99_ms = KIOSK_CALLS
            .iter()
            .filter_map(|c| i.calls.get(c))
            .map(|s| s.p99_ms)
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))));
        Self {
            database: i.backend,
            kiosks: i.kiosks,
            rate: i.rate,
            pickups: i.completed,
            failed: i.failures.len() as u64,
            seconds,
            pickups_per_s,
            limit_commits_per_s: i.limit_commits_per_s,
            limit_writers: i.limit_writers,
            commits_per_pickup,
            flushes_per_pickup: per_pickup(i.flushes),
            limit_ratio,
            write_busy: i.write_seconds.filter(|_| seconds > 0.0).map(|w| w / seconds),
            kiosk_p99_ms,
            late_starts: i.late_starts,
            bench_cpu_ms_per_pickup: i.bench_cpu_ms_per_pickup,
            calls: i.calls,
            server: i.server,
            failures: i.failures.into_iter().take(10).collect(),
        }
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let mode = self.rate.map_or("closed loop".to_owned(), |r| format!("open loop at {r} pickups/s"));
        let _ = writeln!(out, "abholbox bench: {} kiosks on {}, {mode}", self.kiosks, self.database);
        let _ = writeln!(
            out,
            "  pickups/s           {:.1}  ({} completed in {:.2} s, {} failed)",
            self.pickups_per_s, self.pickups, self.seconds, self.failed
        );
        let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
        let _ = writeln!(out, "  commits per pickup  {}", opt(self.commits_per_pickup, 1));
        let _ = writeln!(out, "  flushes per pickup  {}", opt(self.flushes_per_pickup, 1));
        let writers =
            self.limit_writers.map_or(String::new(), |w| format!(" ({w} writer{})", if w == 1 { "" } else { "s" }));
        let _ = writeln!(out, "  write limit         {} one-row commits/s{writers}", opt(self.limit_commits_per_s, 0));
        let _ = writeln!(out, "  limit ratio         {}", opt(self.limit_ratio, 2));
        let _ = writeln!(out, "  writer busy         {}", opt(self.write_busy, 2));
        if self.rate.is_some() {
            let _ = writeln!(out, "  late starts         {}", self.late_starts);
        }
        if let Some(s) = &self.server {
            let _ = writeln!(
                out,
                "  server              start-up {:.0} ms (first {:.0} ms); memory idle {} MB, peak {} MB",
                s.startup_ms,
                s.startup_ms_first,
                opt(s.rss_idle_mb, 1),
                opt(s.rss_peak_mb, 1)
            );
            let _ = writeln!(
                out,
                "  CPU per pickup      server {} ms, load generator {} ms",
                opt(s.cpu_ms_per_pickup, 1),
                opt(self.bench_cpu_ms_per_pickup, 1)
            );
        }
        let _ = writeln!(
            out,
            "  {:<18} {:>7} {:>8} {:>8} {:>8} {:>8}",
            "call", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for (name, s) in &self.calls {
            let _ = writeln!(
                out,
                "  {name:<18} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms
            );
        }
        for f in &self.failures {
            let _ = writeln!(out, "  failed: {f}");
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn summary(p99_ms: f64) -> Summary {
        Summary { count: 10, p50_ms: 1.0, p95_ms: 2.0, p99_ms, max_ms: p99_ms + 1.0 }
    }

    #[test]
    fn the_ratio_sets_throughput_against_the_limit() {
        let report = Report::new(Inputs {
            backend: "sqlite",
            kiosks: 15,
            rate: None,
            completed: 600,
            failures: Vec::new(),
            elapsed: Duration::from_secs(4),
            limit_commits_per_s: Some(3000.0),
            limit_writers: Some(1),
            commits: Some(6000),
            flushes: Some(1200),
            write_seconds: Some(1.5),
            calls: [("kiosk_pin", summary(4.0)), ("kiosk_phone", summary(6.0)), ("register", summary(30.0))]
                .into_iter()
                .collect(),
            late_starts: 0,
            bench_cpu_ms_per_pickup: Some(3.0),
            server: None,
        });
        assert_eq!(report.pickups_per_s, 150.0);
        assert_eq!(report.commits_per_pickup, Some(10.0));
        assert_eq!(report.flushes_per_pickup, Some(2.0));
        assert_eq!(report.limit_ratio, Some(0.5), "150/s against a ceiling of 3000/10 = 300/s");
        assert_eq!(report.kiosk_p99_ms, Some(6.0), "the worst kiosk call, not the registry's");
        assert_eq!(report.write_busy, Some(0.375), "1.5 s inside writes over 4 s");
        let json = serde_json::to_value(&report).unwrap();
        for key in ["pickups_per_s", "limit_commits_per_s", "commits_per_pickup", "limit_ratio"] {
            assert!(json[key].is_number(), "{key}");
        }
        assert_eq!(json["calls"]["kiosk_pin"]["p99_ms"], 4.0);
        assert_eq!(json["limit_writers"], 1);
        assert!(json["calls"]["kiosk_pin"]["max_ms"].is_number() && json["calls"]["kiosk_pin"]["p95_ms"].is_number());
    }

    #[test]
    fn without_a_counter_there_is_no_ratio() {
        let report = Report::new(Inputs {
            backend: "postgres",
            kiosks: 1,
            rate: Some(5.0),
            completed: 0,
            failures: vec!["register: 500".into()],
            elapsed: Duration::from_secs(1),
            limit_commits_per_s: Some(1000.0),
            limit_writers: Some(16),
            commits: None,
            flushes: None,
            write_seconds: None,
            calls: BTreeMap::new(),
            late_starts: 2,
            bench_cpu_ms_per_pickup: None,
            server: None,
        });
        assert_eq!((report.limit_ratio, report.failed, report.kiosk_p99_ms), (None, 1, None));
        assert!(report.table().contains("failed: register: 500"));
        assert!(report.table().contains("1000 one-row commits/s (16 writers)"), "{}", report.table());
    }
}
