//! Registering a pickup (the citizen's opt-in at application time) and reading its state.

use abholbox_core::document::{DocumentKind, DocumentNumber};
use abholbox_core::ids::{PickupId, SiteId};
use abholbox_core::language::Language;
use abholbox_core::personal::{BirthDate, ThirdFactor};
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::PickupStatus;
use abholbox_store::{PersonalRecord, PickupRecord};
use serde_json::json;

use crate::history::record;
use crate::{Actor, Error, Result, Service};

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

/// Checks a registry reference: printable, short, no surrounding blanks.
pub fn parse_reference(s: &str) -> Result<String> {
    let ok = !s.is_empty() && s.len() <= 64 && s.trim() == s && !s.chars().any(char::is_control);
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Error::Invalid {
            field: "reference",
            message: "1 to 64 printable characters without surrounding blanks".into(),
        })
    }
}

impl Service {
    /// Registers an opt-in. Only the third factor's own secret is kept: with an old document on
    /// record the birth date is never needed and not stored.
    #[tracing::instrument(skip_all, fields(site = %reg.site))]
    pub async fn register(&self, actor: &Actor, reg: Registration) -> Result<PickupRecord> {
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
            claimed_by: None,
            claimed_at: None,
            door_opened_at: None,
            phone_hash: Some(self.keys.phone_lookup(&reg.phone)),
            pin: None,
            ready_at: None,
            deadline: None,
            collected_at: None,
            attention: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let personal = PersonalRecord {
            pickup: id,
            phone_e164: reg.phone.e164().to_owned(),
            birth_date: match third_factor {
                ThirdFactor::BirthDate => Some(reg.birth_date.iso()),
                ThirdFactor::OldDocument => None,
            },
            old_document_number: reg.old_document_number.map(|d| d.as_str().to_owned()),
        };
        tx.insert_pickup(&pickup, &personal).await?;
        let detail = json!({
            "status": pickup.status.as_str(),
            "reference": pickup.reference,
            "document_kind": pickup.document_kind.as_str(),
            "third_factor": third_factor.as_str(),
        });
        record(tx.as_mut(), &pickup, "registered", actor, now, detail).await?;
        tx.commit().await?;
        tracing::info!(pickup = %pickup.id, "pickup registered");
        Ok(pickup)
    }

    pub async fn pickup(&self, id: &PickupId) -> Result<PickupRecord> {
        self.store.pickup(id).await?.ok_or(Error::NotFound("pickup"))
    }
}

impl Service {
    /// Lifts the lock after wrong PINs, once a supervisor has seen the citizen in person. A PIN reissue
    /// does not do this; only this, recorded with who and why.
    pub async fn unlock(&self, actor: &Actor, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        self.supervise(actor, id, abholbox_core::pickup::PickupEvent::Unlocked, reason).await
    }

    /// Gives a claimed document back to its pickup after a supervisor found it still in its
    /// compartment (the door never opened, or the service stopped mid-hand-over). The claim is never
    /// released by itself, because only a look into the compartment tells whether it was taken.
    pub async fn release_claim(&self, actor: &Actor, id: &PickupId, reason: &str) -> Result<PickupRecord> {
        self.supervise(actor, id, abholbox_core::pickup::PickupEvent::ClaimReleased, reason).await
    }

    async fn supervise(
        &self,
        actor: &Actor,
        id: &PickupId,
        event: abholbox_core::pickup::PickupEvent,
        reason: &str,
    ) -> Result<PickupRecord> {
        if reason.trim().is_empty() || reason.len() > 500 {
            return Err(Error::Invalid { field: "reason", message: "say in up to 500 characters why".into() });
        }
        let mut tx = self.store.begin().await?;
        let pickup = tx.pickup(id).await?.ok_or(Error::NotFound("pickup"))?;
        let (unlocked, _) = self.apply(tx.as_mut(), &pickup, event, actor, None).await?;
        tx.append_audit(&abholbox_store::NewAuditEntry {
            at: self.clock.now(),
            actor: actor.to_string(),
            action: "supervisor_reason",
            object: id.to_string(),
            detail: json!({ "reason": reason }),
        })
        .await?;
        tx.commit().await?;
        Ok(unlocked)
    }
}
