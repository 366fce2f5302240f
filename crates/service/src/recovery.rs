//! The check after a (re)start: what was in flight when the service stopped.
//!
//! A claim without its door-closed event may mean the citizen took the document while the service
//! was down, or that the door never opened. Nobody can tell from here, so such a pickup is flagged
//! for staff and never reopened by itself; a loading left open likewise. The sessions that stood at an
//! open compartment end (`interrupted`): their panels show the start screen again. Door events stored
//! before the stop are applied afterwards by the applier, so a door that did close still counts.

use abholbox_core::kiosk::{SessionEvent, Step};
use abholbox_core::pickup::PickupEvent;

use crate::kiosk::save;
use crate::{Actor, Result, Service};

/// What the check after a start found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    pub pickups_flagged: usize,
    pub sessions_ended: usize,
}

impl Service {
    /// Flags every pickup this server left mid-hand-over or mid-loading and ends the sessions left at
    /// its open compartments. Another server's work on a shared database is never touched: it is live,
    /// or its own restart (or the collect timeout) takes it up. A pickup already flagged keeps its
    /// first reason, which says more, and is not recorded again.
    pub async fn recover_after_start(&self) -> Result<Recovered> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut found = Recovered::default();
        let mine = |p: &abholbox_store::PickupRecord| p.handled_by.as_deref().is_none_or(|s| s == &*self.server);
        for p in tx.pickups_in_flight().await? {
            if p.attention.is_some() || !mine(&p) {
                continue;
            }
            self.apply(tx.as_mut(), &p, PickupEvent::Interrupted, &Actor::System, None).await?;
            found.pickups_flagged += 1;
            if let (Some(box_id), Some(c)) = (&p.box_id, p.compartment) {
                let kind = if p.claimed_by.is_some() { "handover_unconfirmed" } else { "deposit_unconfirmed" };
                let detail = serde_json::json!({ "pickup": p.id.as_str() });
                self.box_alarm(tx.as_mut(), box_id, kind, Some(c), now, detail).await?;
            }
        }
        for mut session in tx.sessions_at_step(Step::Collect).await? {
            if let Some(current) = session.state.current().map(|q| q.pickup.clone())
                && let Some(p) = tx.pickup(&current).await?
                && !mine(&p)
            {
                continue;
            }
            session.state.apply(SessionEvent::Interrupted, now, &self.policy.session)?;
            session.last_error = Some("interrupted".into());
            save(tx.as_mut(), &mut session).await?;
            found.sessions_ended += 1;
        }
        tx.commit().await?;
        if found != Recovered::default() {
            tracing::warn!(?found, "work left in flight at the last stop: pickups flagged for staff, sessions ended");
        }
        Ok(found)
    }
}
