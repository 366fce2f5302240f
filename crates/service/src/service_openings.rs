//! Opening a compartment for service: a supervisor looks into it (a hand-over nobody confirmed, a
//! door that was forced, a lock to test) and says why. The opening is recorded before the box is
//! told to open, so that the door's opening is expected rather than forced; its close ends it. A
//! compartment where a loading, hand-over or withdrawal is under way is not opened: its door's
//! close would be taken for that. A site with four eyes wants a second staff member to confirm.

use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_core::pickup::PickupStatus;
use abholbox_core::staff::{StaffAction, StaffMember};
use abholbox_store::{NewAuditEntry, NewServiceOpening};
use serde_json::json;

use crate::{Error, Principal, Result, Service};

impl Service {
    /// Opens compartment `c` for service; returns its label once the box was told to open it.
    pub async fn open_for_service(
        &self,
        who: &Principal,
        box_id: &BoxId,
        c: CompartmentNo,
        reason: &str,
        witness: Option<&StaffMember>,
    ) -> Result<String> {
        let site = self.site_of_box(box_id).await?;
        who.permit(StaffAction::ServiceOpening, Some(&site))?;
        let witnessed_by = self.four_eyes(who, &site, witness).await?;
        let reason = crate::pickups::parse_reason(reason)?;
        let driver = self.driver(box_id)?.clone();
        let now = self.clock.now();
        let actor = who.actor().to_string();
        let mut tx = self.store.begin().await?;
        tx.lock_compartment(box_id, c).await?;
        let compartment = tx.compartment(box_id, c).await?.ok_or(Error::NotFound("compartment"))?;
        if let Some(p) = tx.pickup_in_compartment(box_id, c).await?
            && (p.claimed_by.is_some() || p.withdrawal_started_at.is_some() || p.status == PickupStatus::Depositing)
        {
            return Err(Error::CompartmentBusy);
        }
        if tx.open_service_opening(box_id, c).await?.is_some() {
            return Err(Error::DoorOpen);
        }
        let opening = NewServiceOpening {
            box_id: box_id.clone(),
            compartment: c,
            opened_by: actor.clone(),
            witnessed_by: witnessed_by.map(|w| format!("staff:{w}")),
            reason: reason.clone(),
            at: now,
        };
        let id = tx.insert_service_opening(&opening).await?;
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: actor.clone(),
            action: "service_opening",
            object: format!("box:{box_id}"),
            detail: json!({ "compartment": c.get(), "reason": reason, "witnessed_by": opening.witnessed_by }),
        })
        .await?;
        tx.commit().await?;
        if let Err(e) = driver.open(c).await {
            let mut tx = self.store.begin().await?;
            tx.close_service_opening(id, self.clock.now()).await?;
            tx.append_audit(&NewAuditEntry {
                at: self.clock.now(),
                actor,
                action: "service_opening_failed",
                object: format!("box:{box_id}"),
                detail: json!({ "compartment": c.get(), "error": e.to_string() }),
            })
            .await?;
            tx.commit().await?;
            return Err(Error::Box(e));
        }
        tracing::info!(%box_id, compartment = %c, "compartment opened for service");
        Ok(compartment.label)
    }
}
