//! Integration tests: the real server on a real SQLite file, driven over HTTP like its callers.

// Test helpers fail loudly by design: a panic here is a failed test, not a crash in production.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod helpers;

mod admin;
mod audit_chain;
mod connections;
mod data_protection;
mod doors;
mod errors;
mod family;
mod faults;
mod full_box;
mod hardware;
mod hours;
mod kannel;
mod kiosk_pages;
mod kiosk_refusals;
mod lockout;
mod panel_limits;
mod panels;
mod phone;
mod pickup;
mod pin_timing;
mod races;
mod restart;
mod retention;
mod sms;
mod soak;
mod staff_app;
mod waiting;
mod way_out;
