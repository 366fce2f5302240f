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
//! An opt-in whose document never comes would never end, and so keep its phone number and birth date
//! for ever: after [`RetentionPolicy::never_loaded_after`] (180 days, well past any production time)
//! it is called off, as the registry would, and the feed tells the registry so.
//!
//! The audit log is kept: it holds no personal data, and its chain is what makes it worth keeping.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use abholbox_core::ids::PickupId;
use abholbox_core::pickup::{PickupEvent, PickupStatus};

use crate::{Actor, Error, Result, Service};

/// How long what remains of an ended pickup is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub pseudonymise_after: Duration,
    pub delete_after: Duration,
    pub sessions_after: Duration,
    /// How long an opt-in may wait for its document before it is called off.
    pub never_loaded_after: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            pseudonymise_after: Duration::days(90),
            delete_after: Duration::days(365),
            sessions_after: Duration::days(30),
            never_loaded_after: Duration::days(180),
        }
    }
}

/// What one run changed; logged as counts, never as what they were.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Retained {
    pub pseudonymised: u64,
    pub deleted: u64,
    pub sessions_deleted: u64,
    /// Opt-ins called off because their document never came.
    pub never_loaded: u64,
}

/// Rows changed per transaction, so that a first run over years of history does not hold the
/// writer for long: a panel's write waits behind at most one batch (500 kept a catching-up run's
/// batches so long that kiosk writes timed out behind them).
const BATCH: u32 = 100;
/// How often the job looks whether a day has passed on the service's clock: a clock moved on (the
/// demo's) is followed within a minute; a look costs nothing but the comparison.
const LOOK_EVERY: StdDuration = StdDuration::from_secs(60);

/// `span` before `now`, or the earliest time there is for a span longer than the calendar allows:
/// a retention period of a million years keeps everything, it does not stop the job.
fn before(now: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    now.checked_sub_signed(span).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Service {
    /// One run of the retention job, at the service's time.
    pub async fn apply_retention(&self) -> Result<Retained> {
        let now = self.clock.now();
        let policy = self.policy.retention;
        let never_loaded = self.call_off_never_loaded(before(now, policy.never_loaded_after)).await?;
        Ok(Retained {
            never_loaded,
            pseudonymised: self
                .in_batches(|tx| tx.pseudonymise_ended(before(now, policy.pseudonymise_after), now, BATCH))
                .await?,
            deleted: self.in_batches(|tx| tx.delete_ended(before(now, policy.delete_after), BATCH)).await?,
            sessions_deleted: self
                .in_batches(|tx| tx.delete_sessions(before(now, policy.sessions_after), BATCH))
                .await?,
        })
    }

    /// Calls off the opt-ins registered before `registered_before` that still wait for their
    /// document, each in a transaction of its own like a registry's cancellation (personal data
    /// erased, the feed's `cancelled`), with the reason in the audit log. One that moved on meanwhile
    /// (its document is being loaded) is left alone.
    async fn call_off_never_loaded(&self, registered_before: DateTime<Utc>) -> Result<u64> {
        let reason = format!(
            "its document was not loaded within {} days of the opt-in",
            self.policy.retention.never_loaded_after.num_days()
        );
        let mut called_off = 0;
        loop {
            let mut tx = self.store.begin().await?;
            let due: Vec<_> =
                tx.pickups_never_loaded(registered_before, BATCH).await?.into_iter().map(|p| p.id).collect();
            drop(tx);
            let mut this_batch = 0;
            for id in &due {
                if self.call_off(id, &reason).await? {
                    this_batch += 1;
                }
            }
            called_off += this_batch;
            if due.len() < BATCH as usize || this_batch == 0 {
                return Ok(called_off);
            }
        }
    }

    async fn call_off(&self, id: &PickupId, reason: &str) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let Some(pickup) = tx.pickup(id).await? else { return Ok(false) };
        if pickup.status != PickupStatus::AwaitingDeposit {
            return Ok(false);
        }
        let (_, after) = match self.apply(tx.as_mut(), &pickup, PickupEvent::Cancel, &Actor::System, None).await {
            Ok(done) => done,
            Err(Error::Contention) => return Ok(false),
            Err(e) => return Err(e),
        };
        self.audit_reason(tx.as_mut(), &Actor::System, id, PickupEvent::Cancel.name(), reason).await?;
        tx.commit().await?;
        self.after_commit(after).await?;
        Ok(true)
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
                            never_loaded = done.never_loaded,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_longer_than_the_calendar_keeps_everything_instead_of_failing() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(before(now, Duration::days(1)), now - Duration::days(1));
        assert_eq!(before(now, Duration::days(100_000_000)), DateTime::<Utc>::MIN_UTC);
    }
}
