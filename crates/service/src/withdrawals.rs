//! Taking an uncollected or cancelled document out of the box.
//!
//! Staff (the registry's integration today, the staff app next) ask for the compartment of an expired
//! or cancelled pickup to open; when its door closes the pickup is `withdrawn`, the compartment free
//! and the personal data erased (see [`crate::box_events`]). A citizen whose document expired is told
//! by SMS that it has gone back to the counter. A lock that fails flags the pickup; asking again tries
//! the lock again.

use abholbox_box::DriverError;
use abholbox_core::ids::{BoxId, CompartmentNo, PickupId};
use abholbox_core::pickup::PickupEvent;

use abholbox_core::staff::StaffAction;

use crate::{Actor, Error, Principal, Result, Service};

/// A compartment opened for staff to take a document out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalStarted {
    pub pickup: PickupId,
    pub box_id: BoxId,
    pub compartment: CompartmentNo,
    pub label: String,
}

impl Service {
    /// Opens the compartment of an expired or cancelled pickup for staff.
    #[tracing::instrument(skip_all, fields(box_id = %box_id, pickup = %id))]
    pub async fn start_withdrawal(&self, who: &Principal, box_id: &BoxId, id: &PickupId) -> Result<WithdrawalStarted> {
        let site = self.site_of_box(box_id).await?;
        who.permit(StaffAction::Withdraw, Some(&site))?;
        // Another site's pickup is unknown to whoever does not work there ("not in this box" would
        // tell that it exists).
        if self.store.pickup(id).await?.is_some_and(|p| !who.sees(&p.site)) {
            return Err(Error::Unknown { field: "pickup" });
        }
        let actor = &who.actor();
        self.retrying(|| self.start_withdrawal_once(actor, box_id, id)).await
    }

    async fn start_withdrawal_once(&self, actor: &Actor, box_id: &BoxId, id: &PickupId) -> Result<WithdrawalStarted> {
        let mut tx = self.store.begin().await?;
        tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?;
        self.driver(box_id)?;
        let pickup = tx.pickup(id).await?.ok_or(Error::Unknown { field: "pickup" })?;
        if pickup.compartment.is_some() && pickup.box_id.as_ref() != Some(box_id) {
            return Err(Error::WrongBox);
        }
        // Open for service, its door's close would end the service opening, not this withdrawal.
        if let Some(c) = pickup.compartment {
            tx.lock_compartment(box_id, c).await?;
            if tx.open_service_opening(box_id, c).await?.is_some() {
                return Err(Error::DoorOpen);
            }
        }
        let (pickup, after) = self.apply(tx.as_mut(), &pickup, PickupEvent::WithdrawalStarted, actor, None).await?;
        let compartment =
            pickup.compartment.ok_or(Error::Inconsistent("a withdrawal started without its compartment"))?;
        let label = tx.compartment(box_id, compartment).await?.map(|c| c.label).unwrap_or_default();
        tx.commit().await?;
        let this = self.clone();
        let pickup_id = pickup.id.clone();
        let box_actor = Actor::Box(box_id.clone());
        self.in_flight(async move {
            let Err(e) = this.after_commit(after).await else { return Ok(()) };
            tracing::warn!(pickup = %pickup_id, error = %e, "compartment did not open for the withdrawal");
            let lock = match &e {
                Error::Box(d) => d.lock_failure(),
                _ => abholbox_core::pickup::LockFailure::NoAnswer,
            };
            let mut tx = this.store.begin().await?;
            if let Some(p) = tx.pickup(&pickup_id).await? {
                this.apply(tx.as_mut(), &p, PickupEvent::WithdrawalFailed { lock }, &box_actor, None).await?;
            }
            tx.commit().await?;
            Err(e)
        })
        .await
        .map_err(|e| Error::Box(DriverError::Unreachable(e.to_string())))??;
        Ok(WithdrawalStarted { pickup: pickup.id, box_id: box_id.clone(), compartment, label })
    }
}
