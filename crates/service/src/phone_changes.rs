//! Correcting a citizen's mobile number. A mistyped number at the opt-in meant the PIN went nowhere
//! (or to a stranger) and the document could only be collected at the counter; the registry, or a
//! supervisor the citizen calls, now puts the right number in its place.
//!
//! The number is sealed anew and its lookup hash replaced, so the old number no longer finds the
//! document at the box. Messages not yet sent to the old number are dropped; a document waiting in
//! the box gets a new PIN at the new number (its old PIN stops working, since the wrong person may
//! hold it) and its reminder again. The document leaves the old number's family and, should the new
//! number have documents waiting at the same box, joins theirs under the new PIN.

use abholbox_core::ids::PickupId;
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::{PickupEvent, TransitionError};
use abholbox_core::staff::StaffAction;
use abholbox_store::PickupRecord;

use crate::{Error, Principal, Result, Service};

impl Service {
    /// Puts `phone` in place of the pickup's mobile number; `reason` goes to the audit log. The
    /// caller never learns whether the number was the same: a new PIN goes out either way.
    pub async fn change_phone(
        &self,
        who: &Principal,
        id: &PickupId,
        phone: &str,
        reason: &str,
    ) -> Result<PickupRecord> {
        let phone =
            PhoneNumber::parse_mobile(phone).map_err(|e| Error::Invalid { field: "phone", message: e.to_string() })?;
        let reason = crate::pickups::parse_reason(reason)?;
        self.retrying(|| self.change_phone_once(who, id, &phone, &reason)).await
    }

    /// The pickup's state is left to the core's transition: in a state that allows no correction it
    /// refuses, and the transaction, new seal included, is rolled back.
    async fn change_phone_once(
        &self,
        who: &Principal,
        id: &PickupId,
        phone: &PhoneNumber,
        reason: &str,
    ) -> Result<PickupRecord> {
        let actor = &who.actor();
        let mut tx = self.store.begin().await?;
        let pickup = tx.pickup(id).await?.filter(|p| who.sees(&p.site)).ok_or(Error::NotFound("pickup"))?;
        who.permit(StaffAction::ChangePhone, Some(&pickup.site))?;
        // Erased personal data: the pickup is over, which is the transition's refusal too.
        let Some(was) = tx.personal_data(id).await? else {
            return Err(Error::Transition(TransitionError::Illegal {
                from: pickup.status.as_str(),
                event: PickupEvent::PhoneChanged.name(),
            }));
        };
        let mut fields = self.open_personal(&was)?;
        fields.phone = phone.e164().to_owned();
        let sealed = self.seal_personal(id, &fields)?;
        let row = abholbox_store::SealedRow { row: id.to_string(), pickup: id.clone(), sealed: sealed.sealed };
        if !tx.reseal(abholbox_store::SealedTable::PersonalData, &row, &was.sealed).await? {
            return Err(Error::Contention);
        }
        let old_hash = pickup.phone_hash.clone();
        let mut moved = pickup.clone();
        moved.phone_hash = Some(self.keys.phone_lookup(phone));
        let (changed, after) = self.apply(tx.as_mut(), &moved, PickupEvent::PhoneChanged, actor, None).await?;
        if let (Some(box_id), Some(old)) = (&pickup.box_id, &old_hash) {
            tx.leave_family(id, box_id, old).await?;
        }
        self.audit_reason(tx.as_mut(), actor, id, PickupEvent::PhoneChanged.name(), reason).await?;
        tx.commit().await?;
        tracing::info!(pickup = %id, "mobile number corrected");
        self.after_commit(after).await?;
        Ok(changed)
    }
}
