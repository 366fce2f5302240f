//! Jobs on the service's clock: what must happen because time passed, not because someone acted.
//!
//! - A session whose compartment stays open past the collect timeout ends (`door_left_open`) and its
//!   pickup is flagged for staff; the claim stays, so a late door close still records the hand-over.
//! - A session left idle past the idle limit ends (`timeout`), and with it the phone hash it was
//!   typed with, whether or not its panel asks again.
//! - A compartment opened for loading whose door stays open past the collect timeout raises an alarm.
//! - A ready pickup past its deadline expires; its PIN stops working (it already opens nothing past the
//!   deadline, whether or not this job has run).
//!
//! Each change is its own transaction, so one pickup that cannot change does not hold up the rest.
//! Tests call [`Service::housekeeping`] after moving a manual clock; the server runs it every second.

use std::time::Duration;

use abholbox_core::kiosk::{SessionEvent, Step};
use abholbox_core::pickup::PickupEvent;
use tokio::sync::watch;

use crate::kiosk::save;
use crate::{Actor, Error, Result, Service};

/// How often the server looks.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Pickups expired per round; the rest wait for the next.
const EXPIRE_BATCH: u32 = 100;

/// What one round changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Housekeeping {
    pub doors_left_open: usize,
    pub idle_sessions_ended: usize,
    pub expired: usize,
}

impl Service {
    /// One round of the jobs.
    pub async fn housekeeping(&self) -> Result<Housekeeping> {
        self.loadings_left_open().await?;
        self.end_stale_staff_sessions().await?;
        Ok(Housekeeping {
            doors_left_open: self.end_open_doors().await?,
            idle_sessions_ended: self.end_idle_sessions().await?,
            expired: self.expire_due().await?,
        })
    }

    /// Raises an alarm for each compartment opened for loading whose door has stood open longer than
    /// the collect timeout; the loading itself stays, and completes when the door closes.
    async fn loadings_left_open(&self) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let overdue: Vec<_> = tx
            .pickups_in_flight()
            .await?
            .into_iter()
            .filter(|p| p.state().status == abholbox_core::pickup::PickupStatus::Depositing)
            .filter(|p| p.door_opened_at.is_some_and(|t| now - t > self.policy.session.collect_timeout))
            .collect();
        if overdue.is_empty() {
            return Ok(());
        }
        for p in &overdue {
            if let (Some(box_id), Some(c)) = (&p.box_id, p.compartment) {
                let detail = serde_json::json!({ "pickup": p.id.as_str(), "during": "loading" });
                self.box_alarm(tx.as_mut(), box_id, "door_left_open", Some(c), now, detail).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs the jobs every [`INTERVAL`] until `shutdown` turns true.
    pub async fn run_housekeeping(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.housekeeping().await {
                Ok(done) if done != Housekeeping::default() => tracing::info!(?done, "housekeeping"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "housekeeping round failed; trying again"),
            }
            tokio::select! {
                () = tokio::time::sleep(INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Ends the sessions whose door has waited too long, and flags their pickups. One that cannot be
    /// ended now is tried again next round; it does not hold up the others.
    async fn end_open_doors(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let overdue: Vec<_> = tx
            .sessions_at_step(Step::Collect)
            .await?
            .into_iter()
            .filter(|s| s.state.collect_overdue(now, &self.policy.session))
            .map(|s| s.id)
            .collect();
        drop(tx);
        let mut ended = 0;
        for id in overdue {
            match self.end_open_door(&id).await {
                Ok(true) => ended += 1,
                // Another server process (or the door's own close) got there first.
                Ok(false) | Err(Error::Contention) => {}
                Err(e) => tracing::error!(session = %id, error = %e, "door left open not recorded yet"),
            }
        }
        Ok(ended)
    }

    /// Ends the sessions nobody has touched for the idle limit. A panel whose browser went away (or a
    /// kiosk client that crashed) would otherwise keep a session open, with the phone hash typed into
    /// it, until that panel's next request.
    async fn end_idle_sessions(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut idle = Vec::new();
        for step in Step::ALL.into_iter().filter(|s| !s.is_over() && *s != Step::Collect) {
            let at_step = tx.sessions_at_step(step).await?;
            idle.extend(at_step.into_iter().filter(|s| s.state.is_idle(now, &self.policy.session)).map(|s| s.id));
        }
        drop(tx);
        let mut ended = 0;
        for id in idle {
            match self.end_idle_session(&id).await {
                Ok(true) => ended += 1,
                // Its panel (or another server process) touched or ended it first.
                Ok(false) | Err(Error::Contention) => {}
                Err(e) => tracing::error!(session = %id, error = %e, "idle session not ended yet"),
            }
        }
        Ok(ended)
    }

    async fn end_idle_session(&self, id: &abholbox_core::ids::SessionId) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let Some(mut session) = tx.session(id).await? else { return Ok(false) };
        if !self.expire_if_idle(tx.as_mut(), &mut session).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn end_open_door(&self, id: &abholbox_core::ids::SessionId) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(mut session) = tx.session(id).await? else { return Ok(false) };
        let current = session.state.current().map(|q| q.pickup.clone());
        if !session.state.collect_overdue(now, &self.policy.session)
            || session.state.apply(SessionEvent::DoorLeftOpen, now, &self.policy.session).is_err()
        {
            return Ok(false);
        }
        session.last_error = Some("door_left_open".into());
        save(tx.as_mut(), &mut session).await?;
        if let Some(pickup) = current
            && let Some(p) = tx.pickup(&pickup).await?
            && p.claimed_by.as_ref() == Some(&session.id)
        {
            self.apply(tx.as_mut(), &p, PickupEvent::DoorLeftOpen, &Actor::System, None).await?;
            if let (Some(box_id), Some(c)) = (&p.box_id, p.compartment) {
                let detail = serde_json::json!({ "pickup": p.id.as_str() });
                self.box_alarm(tx.as_mut(), box_id, "door_left_open", Some(c), now, detail).await?;
            }
            tracing::warn!(pickup = %p.id, session = %session.id, "door left open; staff are told");
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Expires the ready pickups past their deadline; one that cannot change now waits for the next
    /// round without holding up the others.
    async fn expire_due(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let due: Vec<_> = tx.pickups_due_to_expire(now, EXPIRE_BATCH).await?.into_iter().map(|p| p.id).collect();
        drop(tx);
        let mut expired = 0;
        for id in due {
            match self.expire(&id).await {
                Ok(true) => expired += 1,
                Ok(false) | Err(Error::Contention) => {}
                Err(e) => tracing::error!(pickup = %id, error = %e, "expiry not recorded yet"),
            }
        }
        Ok(expired)
    }

    async fn expire(&self, id: &abholbox_core::ids::PickupId) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let Some(p) = tx.pickup(id).await? else { return Ok(false) };
        match self.apply(tx.as_mut(), &p, PickupEvent::Expire, &Actor::System, None).await {
            Ok(_) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(Error::Transition(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
