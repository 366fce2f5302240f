//! Keeping only what is needed, as long as needed. A pickup's phone number, birth date and PIN go
//! the moment it ends (see the `ErasePersonalData` effect); what remains goes in steps, by a daily
//! job on the service's clock:
//!
//! - after [`RetentionPolicy::pseudonymise_after`] (90 days) its reference and document number are
//!   replaced: the record still counts in statistics but names nobody;
//! - after [`RetentionPolicy::delete_after`] (a year) it is deleted with its events, messages and
//!   old-document record;
//! - kiosk sessions (which pickups a panel showed) and handled door events go after
//!   [`RetentionPolicy::sessions_after`] (30 days).
//!
//! The audit log is kept: it holds no personal data, and its chain is what makes it worth keeping.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use crate::{Result, Service};

/// How long what remains of an ended pickup is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub pseudonymise_after: Duration,
    pub delete_after: Duration,
    pub sessions_after: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            pseudonymise_after: Duration::days(90),
            delete_after: Duration::days(365),
            sessions_after: Duration::days(30),
        }
    }
}

/// What one run changed; logged as counts, never as what they were.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Retained {
    pub pseudonymised: u64,
    pub deleted: u64,
    pub sessions_deleted: u64,
}

/// Rows changed per transaction, so that a first run over years of history does not hold the
/// writer for long: a panel's write waits behind at most one batch (500 kept a catching-up run's
/// batches so long that kiosk writes timed out behind them).
const BATCH: u32 = 100;
/// How often the job looks whether a day has passed on the service's clock: a clock moved on (the
/// demo's) is followed within a minute; a look costs nothing but the comparison.
const LOOK_EVERY: StdDuration = StdDuration::from_secs(60);

impl Service {
    /// One run of the retention job, at the service's time.
    pub async fn apply_retention(&self) -> Result<Retained> {
        let now = self.clock.now();
        let policy = self.policy.retention;
        Ok(Retained {
            pseudonymised: self
                .in_batches(|tx| tx.pseudonymise_ended(now - policy.pseudonymise_after, now, BATCH))
                .await?,
            deleted: self.in_batches(|tx| tx.delete_ended(now - policy.delete_after, BATCH)).await?,
            sessions_deleted: self.in_batches(|tx| tx.delete_sessions(now - policy.sessions_after, BATCH)).await?,
        })
    }

    /// Runs `step` in transactions of its own until it changes nothing more; returns the sum.
    async fn in_batches<F>(&self, step: F) -> Result<u64>
    where
        F: for<'a> Fn(
            &'a mut dyn abholbox_store::Tx,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = abholbox_store::Result<u64>> + Send + 'a>>,
    {
        let mut total = 0;
        loop {
            let mut tx = self.store.begin().await?;
            let n = step(tx.as_mut()).await?;
            tx.commit().await?;
            total += n;
            if n < u64::from(BATCH) {
                return Ok(total);
            }
        }
    }

    /// Runs the job at start and then once a day on the service's clock, until `shutdown` turns true.
    pub async fn run_retention(&self, mut shutdown: watch::Receiver<bool>) {
        let mut last: Option<DateTime<Utc>> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.clock.now();
            if last.is_none_or(|l| now - l >= Duration::days(1)) {
                match self.apply_retention().await {
                    Ok(done) => {
                        last = Some(now);
                        tracing::info!(
                            pseudonymised = done.pseudonymised,
                            deleted = done.deleted,
                            sessions_deleted = done.sessions_deleted,
                            "retention applied"
                        );
                    }
                    Err(e) => tracing::error!(error = %e, "retention not applied; trying again within a minute"),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
