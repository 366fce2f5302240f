//! What staff see of a box: every compartment with its look (see `abholbox_core::overview`), the
//! counts per look, and the boxes of the sites a staff member works for. Nothing personal: a
//! compartment shows its state and its pickup's status, never a name, number or date of birth.

use std::collections::{BTreeMap, HashMap};

use abholbox_core::ids::{BoxId, PickupId};
use abholbox_core::overview::{Look, PickupFacts};
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
