//! Integration tests: the real server on a real SQLite file, driven over HTTP like its callers.

mod helpers;

mod errors;
mod family;
mod full_box;
mod kiosk_refusals;
mod pickup;
mod races;
mod restart;
