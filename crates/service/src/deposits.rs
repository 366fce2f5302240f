//! Loading a document into the box: a compartment is chosen and opened; when its door closes the
//! pickup becomes ready (see [`crate::box_events`]).
//!
//! A lock that fails at loading never gets a second document: its compartment is retired for staff
//! (`defective`, saying whether the lock refused or did not answer), because after no answer the door
//! may have opened and the clerk may have put the document in. After a refusal the compartment is
//! certainly shut, so the loading is tried once more on the next free compartment.

use abholbox_box::DriverError;
use abholbox_core::compartment::{CompartmentState, SizeClass, choose};
use abholbox_core::document::DocumentNumber;
use abholbox_core::ids::{BoxId, CompartmentNo, PickupId, SiteId};
use abholbox_core::pickup::{LockFailure, PickupEvent, PickupStatus};

use abholbox_core::staff::StaffAction;

use abholbox_store::{PickupRecord, Tx};

use crate::{Actor, Error, Principal, Result, Service};

/// Which document is being loaded.
#[derive(Debug, Clone)]
pub enum DepositTarget {
    Pickup(PickupId),
    /// The new document's number, as a barcode scanner reads it off the document.
    DocumentNumber(DocumentNumber),
    /// What a clerk scans or types at the load page: the new document's number, or else the case
    /// reference, for a pickup registered before the registry knew the number (a new card's serial
    /// number is often known only once the card arrives).
    Scanned(String),
}

/// A compartment opened for loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositStarted {
    pub pickup: PickupId,
    /// The registry's case reference, so that staff see whose compartment opened.
    pub reference: String,
    pub box_id: BoxId,
    pub compartment: CompartmentNo,
    pub label: String,
}

/// Compartments tried per loading: the first, and one more after a lock that refused.
const ATTEMPTS: usize = 2;

/// Free compartments read per size and reach when a loading chooses one: the lowest-numbered few
/// stand for all of their kind unless one of them cannot be opened or was just taken.
const FEW_PER_KIND: u32 = 8;

impl Service {
    /// Reserves a compartment for the document and opens it. The reservation is committed before the
    /// box is told to open; a lock that fails retires its compartment (see the module docs).
    #[tracing::instrument(skip_all, fields(box_id = %box_id))]
    pub async fn start_deposit(
        &self,
        who: &Principal,
        box_id: &BoxId,
        target: DepositTarget,
    ) -> Result<DepositStarted> {
        self.start_confirmed_deposit(who, box_id, target, None).await
    }

    /// A loading with the second staff member a site with four eyes wants (`witness`, signed in for
    /// it); a site without them ignores it. At such a site a token (the registry's software) cannot
    /// load at all: no second person could confirm it.
    pub async fn start_confirmed_deposit(
        &self,
        who: &Principal,
        box_id: &BoxId,
        target: DepositTarget,
        witness: Option<&abholbox_core::staff::StaffMember>,
    ) -> Result<DepositStarted> {
        let site = self.site_of_box(box_id).await?;
        who.permit(StaffAction::LoadDocument, Some(&site))?;
        self.four_eyes(who, &site, witness).await?;
        let mut failure = None;
        for _ in 0..ATTEMPTS {
            let started = self.retrying(|| self.reserve_and_open(who, box_id, &target)).await?;
            match started {
                Ok(started) => return Ok(started),
                Err(e) => {
                    let refused = e.lock_failure() == LockFailure::Refused;
                    failure = Some(e);
                    if !refused {
                        break;
                    }
                }
            }
        }
        Err(failure.map_or(Error::Inconsistent("a loading tried no compartment"), Error::Box))
    }

    /// One try: reserve, commit, open. The outer error is a refusal of the loading itself; the inner
    /// one a lock that failed, with the compartment already retired.
    async fn reserve_and_open(
        &self,
        who: &Principal,
        box_id: &BoxId,
        target: &DepositTarget,
    ) -> Result<Result<DepositStarted, DriverError>> {
        let actor = &who.actor();
        let mut tx = self.store.begin().await?;
        let the_box = tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?;
        let driver = self.driver(box_id)?.clone();
        let pickup = match target {
            DepositTarget::Pickup(id) => tx.pickup(id).await?.ok_or(Error::Unknown { field: "pickup" })?,
            DepositTarget::DocumentNumber(n) => tx
                .pickup_by_document_number(&the_box.site, n.as_str())
                .await?
                .ok_or(Error::Unknown { field: "document_number" })?,
            DepositTarget::Scanned(text) => scanned_pickup(tx.as_mut(), &the_box.site, text).await?,
        };
        if pickup.site != the_box.site {
            // Another site's pickup is unknown to whoever does not work there.
            return Err(if who.sees(&pickup.site) { Error::WrongSite } else { Error::Unknown { field: "pickup" } });
        }
        // Asked before a compartment is chosen, so a document loaded twice hears so, not "box full".
        abholbox_core::pickup::transition(
            &pickup.state(),
            &PickupEvent::DepositStarted,
            &self.policy.rules,
            self.clock.now(),
        )?;
        // A loading cut off by a restart is loaded again into the compartment it holds.
        if pickup.status == abholbox_core::pickup::PickupStatus::Depositing {
            let compartment = pickup.compartment.filter(|_| pickup.box_id.as_ref() == Some(box_id));
            let compartment = compartment.ok_or(Error::WrongBox)?;
            let label = tx.compartment(box_id, compartment).await?.map(|c| c.label).unwrap_or_default();
            let placement = Some((box_id.clone(), compartment));
            let (pickup, after) =
                self.apply(tx.as_mut(), &pickup, PickupEvent::DepositStarted, actor, placement).await?;
            tx.commit().await?;
            return self.open_for_loading(pickup, box_id, compartment, label, after).await;
        }
        // The reservation is a conditional write; one that another loading won meanwhile moves on to the
        // next best compartment, so concurrent loadings each get one of their own. The first few of
        // each kind decide as long as none of them is ruled out; once one is, all are read.
        let mut candidates = tx.free_compartments(box_id, Some(FEW_PER_KIND)).await?;
        let mut all_read = false;
        let mut taken = Vec::new();
        let compartment = loop {
            let offered = candidates.len();
            candidates.retain(|c| driver.can_open(c.number) && !taken.contains(&c.number));
            if candidates.len() < offered && !all_read {
                candidates = tx.free_compartments(box_id, None).await?;
                all_read = true;
                continue;
            }
            let c = choose(&candidates, SizeClass::S, pickup.low_compartment)?;
            // A free compartment open for service is passed over: its door's close would end the
            // service opening, not this loading.
            tx.lock_compartment(box_id, c).await?;
            if tx.open_service_opening(box_id, c).await?.is_some() {
                taken.push(c);
                continue;
            }
            if tx.set_compartment_state(box_id, c, CompartmentState::Free, CompartmentState::Reserved).await? {
                break c;
            }
            taken.push(c);
        };
        let label = tx.compartment(box_id, compartment).await?.map(|c| c.label).unwrap_or_default();
        let (pickup, after) = self
            .apply(tx.as_mut(), &pickup, PickupEvent::DepositStarted, actor, Some((box_id.clone(), compartment)))
            .await?;
        tx.commit().await?;
        self.open_for_loading(pickup, box_id, compartment, label, after).await
    }

    /// Opens the compartment of a loading just committed; a lock that fails retires it.
    async fn open_for_loading(
        &self,
        pickup: abholbox_store::PickupRecord,
        box_id: &BoxId,
        compartment: abholbox_core::ids::CompartmentNo,
        label: String,
        after: Vec<crate::history::AfterCommit>,
    ) -> Result<Result<DepositStarted, DriverError>> {
        let this = self.clone();
        let id = pickup.id.clone();
        let opened = self
            .in_flight(async move {
                match this.after_commit(after).await {
                    Ok(()) => Ok(Ok(())),
                    Err(Error::Box(e)) => {
                        tracing::warn!(pickup = %id, error = %e, "compartment did not open for loading; retired");
                        this.fail_deposit(&id, e.lock_failure()).await?;
                        Ok(Err(e))
                    }
                    Err(other) => Err(other),
                }
            })
            .await
            .map_err(|e| Error::Box(DriverError::Unreachable(e.to_string())))??;
        Ok(opened.map(|()| DepositStarted {
            pickup: pickup.id,
            reference: pickup.reference,
            box_id: box_id.clone(),
            compartment,
            label,
        }))
    }

    /// Records a loading whose lock failed: the pickup waits for loading again, the compartment is
    /// retired.
    async fn fail_deposit(&self, id: &PickupId, lock: LockFailure) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let pickup = tx.pickup(id).await?.ok_or(Error::NotFound("pickup"))?;
        self.apply(tx.as_mut(), &pickup, PickupEvent::DepositFailed { lock }, &Actor::System, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The pickup a scanned or typed text names at a site: by document number, or by the case
/// reference of a pickup registered without one. A pickup whose number is known is loaded by
/// scanning it, so that the document in hand is the one checked; a text that names two pickups
/// loads neither. Text that is neither is refused as a document number, which is what a scanner reads.
async fn scanned_pickup(tx: &mut dyn Tx, site: &SiteId, text: &str) -> Result<PickupRecord> {
    let number = DocumentNumber::parse(text).ok();
    let reference = crate::pickups::parse_reference(text.trim()).ok();
    if number.is_none() && reference.is_none() {
        return Err(Error::Invalid {
            field: "document_number",
            message: "neither a document number nor a case reference".into(),
        });
    }
    let by_number = match &number {
        Some(number) => tx.pickup_by_document_number(site, number.as_str()).await?,
        None => None,
    };
    let by_reference = match &reference {
        Some(reference) => tx.pickup_by_reference(site, reference).await?,
        None => None,
    };
    // Only a pickup registered without a number and still to be loaded can be meant by its reference:
    // an ended one, or one with a number, never stands in a scan's way.
    let meant_by_reference = |p: &PickupRecord| {
        p.document_number.is_none() && matches!(p.status, PickupStatus::AwaitingDeposit | PickupStatus::Depositing)
    };
    // A number matches whatever its case; so does a reference that could be meant by it, as far as
    // references are spelt in one case (`T22000129`, `t22000129`).
    if let (Some(by_number), Some(number)) = (&by_number, &number) {
        let spellings = [number.as_str().to_owned(), number.as_str().to_lowercase()];
        // The text as typed was looked up already.
        for spelling in spellings.iter().filter(|s| reference.as_deref() != Some(s.as_str())) {
            if let Some(other) = tx.pickup_by_reference(site, spelling).await?
                && other.id != by_number.id
                && meant_by_reference(&other)
            {
                return Err(Error::ScanNamesTwoPickups);
            }
        }
    }
    match (by_number, by_reference) {
        (Some(a), Some(b)) if a.id != b.id && meant_by_reference(&b) => Err(Error::ScanNamesTwoPickups),
        (Some(pickup), _) => Ok(pickup),
        (None, Some(pickup)) if pickup.document_number.is_some() => Err(Error::ScanTheDocument),
        (None, Some(pickup)) => Ok(pickup),
        (None, None) => Err(Error::Unknown { field: "document_number" }),
    }
}
