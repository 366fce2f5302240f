//! Compartments out of use, and back: a lock that failed or a door that opened without a command
//! takes a compartment out of use (see `box_events` and `history`); a person looks at it and puts it
//! back, with what they found in the audit log.

use abholbox_core::compartment::CompartmentState;
use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_store::NewAuditEntry;
use serde_json::json;

use abholbox_core::staff::StaffAction;

use crate::tokens::Principal;
use crate::{Error, Result, Service};

impl Service {
    /// Puts a compartment out of use back into use: it holds its pickup's document again when a
    /// pickup still names it, and is free otherwise.
    pub async fn return_to_service(
        &self,
        who: &Principal,
        box_id: &BoxId,
        c: CompartmentNo,
        reason: &str,
    ) -> Result<()> {
        who.permit(StaffAction::ReturnToService, Some(&self.site_of_box(box_id).await?))?;
        let reason = abholbox_core::text::parse_reason(reason)
            .map_err(|e| Error::Invalid { field: "reason", message: format!("say what you found in {e}") })?;
        // A door that stands open is not checked yet: whoever looked closes it first.
        if self.driver(box_id).is_ok_and(|d| d.door_state(c) == abholbox_box::DoorState::Open) {
            return Err(Error::DoorOpen);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let compartment = tx.compartment(box_id, c).await?.ok_or(Error::NotFound("compartment"))?;
        if compartment.state != CompartmentState::Defective {
            return Err(Error::NotOutOfUse);
        }
        let to = if tx.pickup_in_compartment(box_id, c).await?.is_some() {
            CompartmentState::Occupied
        } else {
            CompartmentState::Free
        };
        if !tx.set_compartment_state(box_id, c, CompartmentState::Defective, to).await? {
            return Err(Error::Contention);
        }
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: who.actor().to_string(),
            action: "compartment_returned_to_service",
            object: format!("box:{box_id}"),
            detail: json!({
                "compartment": c.get(),
                "defect": compartment.defect.map(|d| d.as_str()),
                "now": to.as_str(),
                "reason": reason,
            }),
        })
        .await?;
        tx.commit().await?;
        tracing::info!(%box_id, compartment = %c, "compartment returned to service");
        Ok(())
    }
}
