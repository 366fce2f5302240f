//! The check after a (re)start: what was in flight when the service stopped.
//!
//! A claim without its door-closed event may mean the citizen took the document while the service
//! was down, or that the door never opened. Nobody can tell from here, so such a pickup is flagged
//! for staff and never reopened by itself. A loading left open likewise.

use abholbox_core::pickup::PickupStatus;
use serde_json::json;

use crate::history::record;
use crate::{Actor, Error, Result, Service};

impl Service {
    /// Flags every pickup left mid-hand-over or mid-loading; returns how many. A pickup already
    /// flagged keeps its first reason, which says more.
    pub async fn flag_unfinished(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut flagged = 0;
        for mut p in tx.pickups_in_flight().await? {
            let reason =
                if p.status == PickupStatus::Depositing { "deposit_unconfirmed" } else { "handover_unconfirmed" };
            if p.attention.is_some() {
                continue;
            }
            p.attention = Some(reason.to_owned());
            p.updated_at = now;
            if !tx.update_pickup(&p).await? {
                return Err(Error::Contention);
            }
            p.version += 1;
            record(tx.as_mut(), &p, "flagged", &Actor::System, now, json!({ "attention": reason })).await?;
            flagged += 1;
        }
        tx.commit().await?;
        if flagged > 0 {
            tracing::warn!(flagged, "pickups left in flight at the last stop are flagged for staff");
        }
        Ok(flagged)
    }
}
