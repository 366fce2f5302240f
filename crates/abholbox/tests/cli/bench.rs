//! `abholbox bench` as a script runs it: its own server, complete pickups, one JSON object.

use std::process::Command;

use serde_json::{Value, json};

use super::BIN;

#[test]
fn the_bench_drives_complete_pickups_and_reports_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Command::new(BIN)
        .args(["bench", "--kiosks", "3", "--pickups", "6", "--limit-seconds", "0.2", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((report["pickups"].as_u64(), report["failed"].as_u64()), (Some(6), Some(0)), "{report}");
    assert_eq!((&report["database"], &report["limit_writers"]), (&json!("sqlite"), &json!(1)), "SQLite's one writer");
    for key in ["pickups_per_s", "limit_commits_per_s", "commits_per_pickup", "limit_ratio"] {
        assert!(report[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {report}");
    }
    let per_pickup = report["commits_per_pickup"].as_f64().unwrap();
    assert!((5.0..40.0).contains(&per_pickup), "counted from the server, not assumed: {per_pickup}");
    let calls = report["calls"].as_object().unwrap();
    for call in ["register", "deposit", "kiosk_start", "kiosk_phone", "kiosk_pin", "kiosk_birth_date", "sim_insert"] {
        let figures = &calls[call];
        assert!(figures["p99_ms"].as_f64().is_some(), "{call}: {report}");
        assert!(figures["p50_ms"].as_f64() <= figures["max_ms"].as_f64(), "{call}");
    }
    assert_eq!(calls["kiosk_pin"]["count"], 6, "one PIN per pickup");
    assert_eq!(calls["kiosk_birth_date"]["count"], 3, "every other pickup with the birth date");
    assert!(report["server"]["startup_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    let log = std::fs::read_to_string(data.join("server.log")).unwrap();
    for secret in ["+49151", "1970-01-01"] {
        assert!(!log.contains(secret), "the server logs nothing personal under load: {secret}");
    }
}

#[test]
fn the_bench_refuses_what_it_cannot_do() {
    let out = Command::new(BIN).args(["bench", "--kiosks", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kiosks"));
    let out = Command::new(BIN).args(["bench", "--url", "http://127.0.0.1:1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64), "--url needs --tokens");
    let out = Command::new(BIN).args(["bench", "sms", "--smsc", "localhost"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--smsc: HOST:PORT"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
