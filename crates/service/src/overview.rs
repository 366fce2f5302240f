//! What staff see of a box: every compartment with its look (see `abholbox_core::overview`), the
//! counts per look, and the boxes of the sites a staff member works for. Nothing personal: a
//! compartment shows its state and its pickup's status, never a name, number or date of birth.

use std::collections::{BTreeMap, HashMap};

use abholbox_core::ids::{BoxId, PickupId, SiteId};
use abholbox_core::overview::{Look, PickupFacts};
use abholbox_core::pickup::PickupStatus;
use abholbox_core::staff::StaffAction;
use abholbox_store::{BoxRecord, BoxSummary, CompartmentRecord, PickupRecord};

use crate::{Error, Principal, Result, Service};

/// One compartment as the box view shows it.
#[derive(Debug, Clone)]
pub struct CompartmentView {
    pub compartment: CompartmentRecord,
    pub look: Look,
    /// The pickup whose document is in it (or on its way in), by id and reference.
    pub pickup: Option<(PickupId, String)>,
}

/// A box as staff see it.
#[derive(Debug, Clone)]
pub struct BoxOverview {
    pub record: BoxRecord,
    pub compartments: Vec<CompartmentView>,
    pub counts: BTreeMap<Look, usize>,
}

impl Service {
    /// The boxes of the sites `who` works for, with their counts.
    pub async fn boxes_seen_by(&self, who: &Principal) -> Result<Vec<BoxSummary>> {
        if matches!(who, Principal::Kiosk { .. }) {
            return Err(Error::Forbidden);
        }
        let mut boxes = self.store.box_summaries().await?;
        boxes.retain(|b| who.sees(&b.record.site));
        Ok(boxes)
    }

    /// One box, every compartment with its look. A box of another site is unknown to `who`.
    pub async fn box_overview(&self, who: &Principal, box_id: &BoxId) -> Result<BoxOverview> {
        let record = self.store.boxes().await?.into_iter().find(|b| &b.id == box_id).ok_or(Error::NotFound("box"))?;
        if !who.sees(&record.site) {
            return Err(Error::NotFound("box"));
        }
        who.permit(StaffAction::ViewBox, Some(&record.site))?;
        let pickups: HashMap<_, PickupRecord> = self
            .store
            .pickups_in_box(box_id)
            .await?
            .into_iter()
            .filter_map(|p| p.compartment.map(|c| (c, p)))
            .collect();
        let driver = self.driver(box_id).ok();
        let now = self.clock.now();
        let mut counts = BTreeMap::new();
        let compartments = self
            .store
            .compartments(box_id)
            .await?
            .into_iter()
            .map(|c| {
                let pickup = pickups.get(&c.number);
                let facts = pickup.map(|p| PickupFacts {
                    status: p.status,
                    deadline: p.deadline,
                    locked: p.locked,
                    attention: p.attention,
                });
                let open = driver.is_some_and(|d| d.door_state(c.number) == abholbox_box::DoorState::Open);
                let look = Look::of(c.state, facts, open, now);
                *counts.entry(look).or_insert(0) += 1;
                CompartmentView { look, pickup: pickup.map(|p| (p.id.clone(), p.reference.clone())), compartment: c }
            })
            .collect();
        Ok(BoxOverview { record, compartments, counts })
    }
}

/// What staff must do at a box: documents to take out, and pickups someone must look at.
#[derive(Debug, Clone, Default)]
pub struct BoxWork {
    /// Expired or called off, the document still in its compartment: oldest deadline first.
    pub to_withdraw: Vec<PickupRecord>,
    /// Locked after wrong tries, or flagged (door left open, compartment did not open, hand-over
    /// unconfirmed, SMS not deliverable ...).
    pub flagged: Vec<PickupRecord>,
}

impl Service {
    /// The lists staff work from each morning, for one box of their sites.
    pub async fn box_work(&self, who: &Principal, box_id: &BoxId) -> Result<BoxWork> {
        let site = self.site_of_box(box_id).await?;
        if !who.sees(&site) {
            return Err(Error::NotFound("box"));
        }
        who.permit(StaffAction::ViewBox, Some(&site))?;
        let mut work = BoxWork::default();
        for p in self.store.pickups_in_box(box_id).await? {
            if matches!(p.status, PickupStatus::Expired | PickupStatus::Cancelled) {
                work.to_withdraw.push(p);
            } else if p.locked || p.attention.is_some() {
                work.flagged.push(p);
            }
        }
        work.to_withdraw.sort_by_key(|p| (p.deadline, p.compartment));
        work.flagged.sort_by_key(|p| (p.updated_at, p.compartment));
        Ok(work)
    }

    /// A pickup of `who`'s sites by its case reference, as a supervisor finds it when a citizen
    /// calls about a lost SMS.
    pub async fn find_pickup(&self, who: &Principal, site: &SiteId, reference: &str) -> Result<PickupRecord> {
        who.permit(StaffAction::ViewBox, Some(site)).map_err(|_| Error::NotFound("pickup"))?;
        let reference = crate::pickups::parse_reference(reference)?;
        let mut tx = self.store.begin().await?;
        let found = tx.pickup_by_reference(site, &reference).await?;
        tx.commit().await?;
        found.ok_or(Error::NotFound("pickup"))
    }
}

/// One compartment with its recent history, for the page a click on the map opens. Nothing
/// personal: door movements, the pickup's reference and status, open alarms.
#[derive(Debug, Clone)]
pub struct CompartmentDetail {
    pub view: CompartmentView,
    pub status: Option<PickupStatus>,
    pub history: Vec<abholbox_store::BoxEventRecord>,
    pub alarms: Vec<abholbox_store::AlarmRecord>,
    /// Whether the site wants a second staff member for a service opening.
    pub four_eyes: bool,
}

impl Service {
    pub async fn compartment_detail(
        &self,
        who: &Principal,
        box_id: &BoxId,
        c: abholbox_core::ids::CompartmentNo,
    ) -> Result<CompartmentDetail> {
        let overview = self.box_overview(who, box_id).await?;
        let view = overview
            .compartments
            .into_iter()
            .find(|v| v.compartment.number == c)
            .ok_or(Error::NotFound("compartment"))?;
        let status = match &view.pickup {
            Some((id, _)) => self.store.pickup(id).await?.map(|p| p.status),
            None => None,
        };
        let mut alarms = self.store.open_alarms().await?;
        alarms.retain(|a| a.box_id.as_ref() == Some(box_id) && a.compartment == Some(c));
        let four_eyes = self.store.sites().await?.into_iter().any(|s| s.id == overview.record.site && s.four_eyes);
        Ok(CompartmentDetail {
            history: self.store.compartment_history(box_id, c, 30).await?,
            view,
            status,
            alarms,
            four_eyes,
        })
    }
}
