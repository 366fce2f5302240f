//! Registering a pickup (the citizen's opt-in at application time), reading its state, and the ways
//! out that people decide: cancelling, and a supervisor's lifting of a lock or release of a claim.

use abholbox_core::document::{DocumentKind, DocumentNumber};
use abholbox_core::ids::{PickupId, SiteId};
use abholbox_core::language::Language;
use abholbox_core::personal::{BirthDate, ThirdFactor};
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::{EventKind, PickupEvent, PickupStatus};
use abholbox_store::{EventRecord, NewAuditEntry, PersonalFields, PickupRecord, Tx};
use serde_json::json;

use crate::history::record;
use abholbox_core::staff::StaffAction;

use crate::{Actor, Error, Principal, Result, Service};

/// An opt-in as the registry sends it, already parsed into domain values.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The registry's own case reference; unique per site, so a retried request cannot register twice.
    pub reference: String,
    pub site: SiteId,
    pub document_kind: DocumentKind,
    pub document_number: Option<DocumentNumber>,
    pub phone: PhoneNumber,
    pub birth_date: BirthDate,
    /// The old document to hand in; `None` makes the birth date the third factor.
    pub old_document_number: Option<DocumentNumber>,
    pub language: Language,
    /// A wheelchair user: the document goes into a compartment within reach when seated.
    pub low_compartment: bool,
}

/// What retention writes in place of an ended pickup's reference (the stores spell it in SQL):
/// a registry may not use it, or a reference registered in its shape would block that rewrite.
pub const PSEUDONYM_PREFIX: &str = "pseudonymised-";

/// Checks a registry reference (see `abholbox_core::text`).
pub fn parse_reference(s: &str) -> Result<String> {
    let reference = abholbox_core::text::parse_reference(s)
        .map_err(|e| Error::Invalid { field: "reference", message: e.to_string() })?;
    if reference.starts_with(PSEUDONYM_PREFIX) {
        return Err(Error::Invalid {
            field: "reference",
            message: format!("may not begin with \"{PSEUDONYM_PREFIX}\": retention marks ended pickups so"),
        });
    }
    Ok(reference)
}

impl Service {
    /// Registers an opt-in. Only the third factor's own secret is kept: with an old document on
    /// record the birth date is never needed and not stored.
    #[tracing::instrument(skip_all, fields(site = %reg.site))]
    pub async fn register(&self, who: &Principal, reg: Registration) -> Result<PickupRecord> {
        who.permit(StaffAction::RegisterPickup, Some(&reg.site))?;
        let actor = &who.actor();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if tx.site(&reg.site).await?.is_none() {
            return Err(Error::Unknown { field: "site" });
        }
        if tx.pickup_by_reference(&reg.site, &reg.reference).await?.is_some() {
            return Err(Error::DuplicateReference);
        }
        let mut id_bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut id_bytes);
        let id = PickupId::from_random(id_bytes);
        let third_factor =
            if reg.old_document_number.is_some() { ThirdFactor::OldDocument } else { ThirdFactor::BirthDate };
        let pickup = PickupRecord {
            id: id.clone(),
            reference: reg.reference,
            site: reg.site,
            document_kind: reg.document_kind,
            document_number: reg.document_number.map(|d| d.as_str().to_owned()),
            third_factor,
            language: reg.language,
            low_compartment: reg.low_compartment,
            status: PickupStatus::AwaitingDeposit,
            box_id: None,
            compartment: None,
            locked: false,
            failed_pin_attempts: 0,
            failed_third_factor_attempts: 0,
            claimed_by: None,
            claimed_at: None,
            door_opened_at: None,
            phone_hash: Some(self.keys.phone_lookup(&reg.phone)),
            pin: None,
            ready_at: None,
            deadline: None,
            collected_at: None,
            withdrawal_started_at: None,
            attention: None,
            handled_by: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let personal = self.seal_personal(
            &id,
            &PersonalFields {
                phone: reg.phone.e164().to_owned(),
                birth_date: match third_factor {
                    ThirdFactor::BirthDate => Some(reg.birth_date.iso()),
                    ThirdFactor::OldDocument => None,
                },
                old_document_number: reg.old_document_number.map(|d| d.as_str().to_owned()),
            },
        )?;
        tx.insert_pickup(&pickup, &personal).await?;
        let detail = json!({
            "status": pickup.status.as_str(),
            "reference": pickup.reference,
            "document_kind": pickup.document_kind.as_str(),
            "third_factor": third_factor.as_str(),
        });
        record(tx.as_mut(), &pickup, EventKind::Registered, actor, now, detail).await?;
        tx.commit().await?;
        tracing::info!(pickup = %pickup.id, "pickup registered");
        Ok(pickup)
    }

    /// A pickup as `who` may see it: one of another site is unknown to a staff member there.
    pub async fn pickup_seen_by(&self, who: &Principal, id: &PickupId) -> Result<PickupRecord> {
        let pickup = self.pickup(id).await?;
        who.permit(StaffAction::ViewBox, Some(&pickup.site)).map_err(|_| Error::NotFound("pickup"))?;
        Ok(pickup)
    }

    pub async fn pickup(&self, id: &PickupId) -> Result<PickupRecord> {
        self.store.pickup(id).await?.ok_or(Error::NotFound("pickup"))
    }

    /// The SMS of a pickup, oldest first, without recipients or texts.
    pub async fn pickup_messages(&self, id: &PickupId) -> Result<Vec<abholbox_store::OutboxStatus>> {
        Ok(self.store.outbox_for_pickup(id).await?)
    }

    /// A pickup's history as the feed has it, oldest first.
    pub async fn pickup_events(&self, id: &PickupId) -> Result<Vec<EventRecord>> {
        self.pickup(id).await?;
        Ok(self.store.events_of_pickup(id).await?)
    }

    /// Calls a pickup off (the citizen moved, the document was collected at the counter). Its PIN stops
    /// working at once, an SMS with it that has not gone out is dropped, and what is personal is erased;
    /// a document already in the box waits there for staff to withdraw it.
    pub async fn cancel(&self, who: &Principal, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        self.with_reason(who, StaffAction::RegisterPickup, id, PickupEvent::Cancel, reason).await
    }

    /// Lifts the lock after wrong PINs or third factors, once a supervisor has seen the citizen in
    /// person. A new PIN goes out by SMS; the old one never works again.
    pub async fn unlock(&self, who: &Principal, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        self.with_reason(who, StaffAction::LiftLockout, id, PickupEvent::Unlocked, reason).await
    }

    /// Sends a new PIN after the citizen lost the SMS; the old one stops working at once. Staff never
    /// see the PIN: it goes out by SMS like the first.
    pub async fn send_new_pin(&self, who: &Principal, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        self.with_reason(who, StaffAction::ReissuePin, id, PickupEvent::PinReissued, reason).await
    }

    /// Gives a claimed document back to its pickup after a supervisor found it still in its
    /// compartment (the door never opened, or the service stopped mid-hand-over). The claim is never
    /// released by itself, because only a look into the compartment tells whether it was taken.
    /// Refused while the claiming session still stands at the open compartment: the citizen may be
    /// taking the document right now, and the door's close will record it.
    pub async fn release_claim(&self, who: &Principal, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        let pickup = self.pickup(id).await?;
        if !who.sees(&pickup.site) {
            return Err(Error::NotFound("pickup"));
        }
        who.permit(StaffAction::ReleaseClaim, Some(&pickup.site))?;
        if let Some(session) = &pickup.claimed_by
            && let Some(s) = self.store.session(session).await?
            && s.state.step == abholbox_core::kiosk::Step::Collect
        {
            return Err(Error::HandoverInProgress);
        }
        self.with_reason(who, StaffAction::ReleaseClaim, id, PickupEvent::ClaimReleased, reason).await
    }

    /// A change a person decides, recorded with who and why.
    async fn with_reason(
        &self,
        who: &Principal,
        action: StaffAction,
        id: &PickupId,
        event: PickupEvent,
        reason: &str,
    ) -> Result<PickupRecord> {
        let reason = parse_reason(reason)?;
        self.retrying(|| self.with_reason_once(who, action, id, event.clone(), &reason)).await
    }

    async fn with_reason_once(
        &self,
        who: &Principal,
        action: StaffAction,
        id: &PickupId,
        event: PickupEvent,
        reason: &str,
    ) -> Result<PickupRecord> {
        let actor = &who.actor();
        let mut tx = self.store.begin().await?;
        // Another site's pickup is unknown to whoever does not work there, not forbidden.
        let pickup = tx.pickup(id).await?.filter(|p| who.sees(&p.site)).ok_or(Error::NotFound("pickup"))?;
        who.permit(action, Some(&pickup.site))?;
        let name = event.name();
        let (changed, after) = self.apply(tx.as_mut(), &pickup, event, actor, None).await?;
        self.audit_reason(tx.as_mut(), actor, id, name, reason).await?;
        tx.commit().await?;
        self.after_commit(after).await?;
        Ok(changed)
    }

    /// Records why a person changed a pickup, in the transaction of the change: the event says what
    /// and who, this entry why.
    pub(crate) async fn audit_reason(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        id: &PickupId,
        event: &str,
        reason: &str,
    ) -> Result<()> {
        tx.append_audit(&NewAuditEntry {
            at: self.clock.now(),
            actor: actor.to_string(),
            action: "reason",
            object: id.to_string(),
            detail: json!({ "for": event, "reason": reason }),
        })
        .await?;
        Ok(())
    }
}

/// A person's reason for a change, as the audit log keeps it.
pub(crate) fn parse_reason(reason: &str) -> Result<String> {
    abholbox_core::text::parse_reason(reason)
        .map_err(|e| Error::Invalid { field: "reason", message: format!("say why in {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_in_retentions_shape_is_refused() {
        assert_eq!(parse_reference("R-2026-1").ok().as_deref(), Some("R-2026-1"));
        assert!(matches!(parse_reference("pseudonymised-01J9"), Err(Error::Invalid { field: "reference", .. })));
        assert!(parse_reference("not-pseudonymised-01J9").is_ok());
    }
}
