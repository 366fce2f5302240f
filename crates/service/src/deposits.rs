//! Loading a document into the box: a compartment is chosen and opened; when its door closes the
//! pickup becomes ready (see [`crate::box_events`]).

use abholbox_core::compartment::{CompartmentState, SizeClass, choose};
use abholbox_core::document::DocumentNumber;
use abholbox_core::ids::{BoxId, CompartmentNo, PickupId};
use abholbox_core::pickup::PickupEvent;

use crate::{Actor, Error, Result, Service};

/// Which document is being loaded.
#[derive(Debug, Clone)]
pub enum DepositTarget {
    Pickup(PickupId),
    /// The new document's number, as a barcode scanner reads it off the document.
    DocumentNumber(DocumentNumber),
}

/// A compartment opened for loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositStarted {
    pub pickup: PickupId,
    pub box_id: BoxId,
    pub compartment: CompartmentNo,
    pub label: String,
}

impl Service {
    /// Reserves a compartment for the document and opens it. The reservation is committed before the
    /// box is told to open; if the box fails, the reservation is undone and the caller told.
    #[tracing::instrument(skip_all, fields(box_id = %box_id))]
    pub async fn start_deposit(&self, actor: &Actor, box_id: &BoxId, target: DepositTarget) -> Result<DepositStarted> {
        let mut tx = self.store.begin().await?;
        let the_box = tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?;
        self.driver(box_id)?;
        let pickup = match &target {
            DepositTarget::Pickup(id) => tx.pickup(id).await?.ok_or(Error::Unknown { field: "pickup" })?,
            DepositTarget::DocumentNumber(n) => tx
                .pickup_by_document_number(&the_box.site, n.as_str())
                .await?
                .ok_or(Error::Unknown { field: "document_number" })?,
        };
        if pickup.site != the_box.site {
            return Err(Error::WrongSite);
        }
        // Asked before a compartment is chosen, so a document loaded twice hears so, not "box full".
        abholbox_core::pickup::transition(&pickup.state(), &PickupEvent::DepositStarted, self.clock.now())?;
        let candidates = tx.free_compartments(box_id).await?;
        let compartment = choose(&candidates, SizeClass::S, pickup.low_compartment)?;
        if !tx.set_compartment_state(box_id, compartment, CompartmentState::Free, CompartmentState::Reserved).await? {
            return Err(Error::Contention);
        }
        let label = tx.compartment(box_id, compartment).await?.map(|c| c.label).unwrap_or_default();
        let (pickup, after) = self
            .apply(tx.as_mut(), &pickup, PickupEvent::DepositStarted, actor, Some((box_id.clone(), compartment)))
            .await?;
        tx.commit().await?;
        // Its own task, so that a caller who gives up cannot leave a reservation without its opening.
        let this = self.clone();
        let id = pickup.id.clone();
        tokio::spawn(async move {
            if let Err(e) = this.after_commit(after).await {
                tracing::warn!(pickup = %id, error = %e, "compartment did not open for loading");
                this.abandon_deposit(&id).await?;
                return Err(e);
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Box(abholbox_box::DriverError::Unreachable(e.to_string())))??;
        Ok(DepositStarted { pickup: pickup.id, box_id: box_id.clone(), compartment, label })
    }

    /// Undoes a loading whose door never opened: the pickup waits for loading again.
    async fn abandon_deposit(&self, id: &PickupId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let pickup = tx.pickup(id).await?.ok_or(Error::NotFound("pickup"))?;
        self.apply(tx.as_mut(), &pickup, PickupEvent::DepositAbandoned, &Actor::System, None).await?;
        tx.commit().await?;
        Ok(())
    }
}
