//! Time as an input. Use cases ask a [`Clock`]; tests move a [`ManualClock`] instead of sleeping, so
//! timeouts, deadlines and lockout windows are tested exactly.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Moves the clock forward, if it is one that may be moved (the demo's and the tests'); the
    /// wall clock answers `false` and stays where it is.
    fn advance(&self, by: Duration) -> bool {
        let _ = by;
        false
    }
}

/// The demo's clock: the wall clock plus however far the simulator moved it on, so that a visitor
/// (or a browser test) sees a pickup expire without waiting ten days. Never moves back.
#[derive(Debug, Default)]
pub struct DemoClock(Mutex<Duration>);

impl Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn advance(&self, by: Duration) -> bool {
        if by > Duration::zero() {
            *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += by;
        }
        true
    }
}

/// The wall clock, for production and the demo.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn advance(&self, by: Duration) -> bool {
        ManualClock::advance(self, by);
        true
    }
}
