//! Personal data at rest: sealed in the database, gone from every raw file once erased, and still
//! readable across a key rotation.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Db, TestApp, german_id};

/// Every form a value may take in a file: as typed, as stored, as read from an MRZ.
struct Needles(Vec<(String, Vec<u8>)>);

impl Needles {
    fn new() -> Self {
        Self(Vec::new())
    }

    fn add(&mut self, what: &str, forms: &[&str]) {
        for form in forms {
            self.0.push((format!("{what} as {form:?}"), form.as_bytes().to_vec()));
            let utf16: Vec<u8> = form.encode_utf16().flat_map(u16::to_le_bytes).collect();
            self.0.push((format!("{what} as UTF-16 {form:?}"), utf16));
        }
    }

    /// What of it is found in the files of `dir` (every file, the database, its WAL and shared memory
    /// included). A PIN alone is six digits, so it counts only where no digit, dot or colon of a
    /// timestamp stands beside it.
    fn found_in(&self, dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        for entry in walk(dir) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            for (what, needle) in &self.0 {
                if occurs(&bytes, needle, what.starts_with("PIN")) {
                    found.push(format!("{what} in {}", entry.display()));
                }
            }
        }
        found
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

fn occurs(haystack: &[u8], needle: &[u8], bounded: bool) -> bool {
    let fits = |b: Option<&u8>| b.is_none_or(|c| !c.is_ascii_digit() && *c != b'.' && *c != b':');
    haystack.windows(needle.len()).enumerate().any(|(at, w)| {
        w == needle
            && (!bounded
                || (fits(at.checked_sub(1).and_then(|i| haystack.get(i))) && fits(haystack.get(at + needle.len()))))
    })
}

/// A copy of the data directory at this moment, as a thief or a backup would take it.
fn snapshot(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in walk(from) {
        let name = file.strip_prefix(from).unwrap();
        let target = to.join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let _ = std::fs::copy(&file, &target);
    }
}

#[tokio::test]
async fn no_phone_number_birth_date_pin_or_old_document_number_is_in_the_raw_files() {
    let dir = tempfile::tempdir().unwrap();
    let copies = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    if !matches!(app.db, Db::Sqlite(_)) {
        app.stop().await;
        return;
    }
    let with_date = app.register("DP-1", "0151 23456780", "1964-08-12", None).await;
    let with_old = app.register("DP-2", "0151 23456781", "1971-03-09", Some("L01X00T47")).await;
    let c1 = app.deposit(&with_date).await;
    let c2 = app.deposit(&with_old).await;
    let pin1 = app.pin_for("+4915123456780").await;
    let pin2 = app.pin_for("+4915123456781").await;
    let mut needles = Needles::new();
    needles.add("phone", &["+4915123456780", "4915123456780", "015123456780", "0151 23456780", "15123456780"]);
    needles.add("phone", &["+4915123456781", "4915123456781", "015123456781", "15123456781"]);
    needles.add("birth date", &["1964-08-12", "19640812", "12.08.1964", "640812", "1971-03-09", "710309"]);
    needles.add("old document number", &["L01X00T47"]);
    needles.add("PIN", &[&pin1, &pin2]);

    snapshot(dir.path(), &copies.path().join("waiting"));

    let (session, status, body) = app.authenticate("0151 23456780", &pin1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1964-08-12" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    snapshot(dir.path(), &copies.path().join("door-open"));
    app.close(c1).await;
    app.wait_status(&with_date, "collected").await;

    let (session, status, body) = app.authenticate("0151 23456781", &pin2).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.insert(&german_id("L01X00T47", "710309", "310101", "MUSTERMANN", "ERIKA")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.wait_step(&session, "collect").await;
    app.close(c2).await;
    app.wait_status(&with_old, "collected").await;
    snapshot(dir.path(), &copies.path().join("after"));
    app.stop().await;
    snapshot(dir.path(), &copies.path().join("stopped"));

    let found = needles.found_in(copies.path());
    assert!(found.is_empty(), "personal data in the raw files:\n{}", found.join("\n"));
    // The scan itself finds what is there: a file with the values in it is caught.
    std::fs::write(copies.path().join("planted"), format!("x{pin1}x 0151 23456780 12.08.1964")).unwrap();
    assert_eq!(needles.found_in(copies.path()).len(), 3, "the planted PIN, phone number and birth date");
}

#[tokio::test]
async fn a_waiting_citizen_collects_after_new_data_and_lookup_keys() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("KR-1", "0151 23456782", "1980-01-02", None).await;
    let compartment = app.deposit(&id).await;
    let pin = app.pin_for("+4915123456782").await;
    let config = app.config.clone();
    app.stop().await;

    assert_eq!(abholbox::rotate_key(&config, "data").await.unwrap(), "data-2");
    assert_eq!(abholbox::rotate_key(&config, "lookup").await.unwrap(), "lookup-2");
    assert_eq!(abholbox::rotate_key(&config, "pin").await.unwrap(), "pin-2");

    let app = TestApp::spawn(dir.path()).await;
    let under_old = app.db.number("SELECT COUNT(*) FROM personal_data WHERE key_id <> 'data-2'").await;
    let hashed_old = app.db.number("SELECT COUNT(*) FROM pickups WHERE phone_key = 'lookup-1'").await;
    assert_eq!((under_old, hashed_old), (0, 0), "sealed and hashed again at start");
    let (session, status, body) = app.authenticate("0151 23456782", &pin).await;
    assert_eq!(status, StatusCode::OK, "the number is known and the PIN opens: {body}");
    let (status, body) = app.step(&session, "birth-date", json!({ "birth_date": "1980-01-02" })).await;
    assert_eq!(status, StatusCode::OK, "the birth date opens under the new data key: {body}");
    app.close(compartment).await;
    app.wait_status(&id, "collected").await;
    app.stop().await;
}
