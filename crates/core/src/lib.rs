//! The domain of abholbox, free of I/O.
//!
//! Everything here is a pure function of its inputs: no clock (time is passed in), no database, no
//! async runtime, no HTTP. That keeps the rules of a pickup testable by moving time and replayable in
//! any storage backend or driver. Values that reach this crate have been parsed into domain types at
//! the edge, so functions here never see a raw string they would have to re-check.

pub mod compartment;
pub mod document;
pub mod factors;
pub mod hours;
pub mod ids;
pub mod kiosk;
pub mod language;
pub mod layout;
pub mod mrz;
pub mod notify;
pub mod overview;
pub mod panel_limits;
pub mod personal;
pub mod phone;
pub mod pickup;
pub mod pin;
pub mod staff;
pub mod text;
