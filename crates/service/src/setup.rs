//! Sites and boxes: declared in the configuration (written at every start) or managed through the
//! admin API, by the same two use cases and the same checks.
//!
//! A box's layout may change (a module added, a row made larger), but never under a document: a
//! compartment that holds or expects one keeps its number, place and size, and is never removed. Free
//! compartments the new layout no longer has are removed by a conditional write, so one reserved
//! meanwhile stays.

use abholbox_core::compartment::CompartmentState;
use abholbox_core::hours::{Hours, State};
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, SiteId, SlotNo};
use abholbox_core::layout::{ModuleLayout, expand, modules_of};
use abholbox_store::{BoxRecord, CompartmentRecord, NewAuditEntry, NewCompartment, PanelRecord, SiteRecord, Tx};
use serde_json::json;

use abholbox_core::staff::StaffAction;

use crate::{Actor, Error, Principal, Result, Service};

/// The box drivers this version can run.
pub const DRIVERS: &[&str] = &["simulated", "kerong-cu16"];

/// A site as declared.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub time_zone: String,
    /// OpenStreetMap `opening_hours`; none means always open.
    pub opening_hours: Option<String>,
    /// The federal state whose public holidays close the site.
    pub holiday_state: String,
    pub open_24_7: bool,
    /// A second staff member confirms each loading and service opening.
    pub four_eyes: bool,
    /// The counter's phone number as citizens dial it, shown on the panel's help screen.
    pub counter_phone: Option<String>,
    /// The kinds of document whose PIN letter the citizen confirms at the panel.
    pub pin_letter_kinds: Vec<abholbox_core::document::DocumentKind>,
}

impl SiteSpec {
    /// Checks what a site declares; errors name the field.
    pub fn check(&self) -> Result<()> {
        let invalid = |field: &'static str, message: String| Error::Invalid { field, message };
        if !plain_text(&self.name, 1, 200) {
            return Err(invalid("name", "1 to 200 visible characters".into()));
        }
        if !plain_text(&self.address, 0, 500) {
            return Err(invalid("address", "up to 500 visible characters".into()));
        }
        let tz = self
            .time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| invalid("time_zone", format!("unknown time zone {:?}", self.time_zone)))?;
        if let Some(phone) = &self.counter_phone
            && (phone.chars().count() > 40 || !phone.chars().all(|c| c.is_ascii_digit() || " +-/()".contains(c)))
        {
            return Err(invalid("counter_phone", "up to 40 digits, spaces and + - / ( )".into()));
        }
        let state = State::parse(&self.holiday_state).map_err(|e| invalid("holiday_state", e.to_string()))?;
        if let Some(rule) = &self.opening_hours {
            Hours::parse(rule, state, tz).map_err(|e| invalid("opening_hours", e.to_string()))?;
        }
        Ok(())
    }
}

/// A box as declared.
#[derive(Debug, Clone)]
pub struct BoxSpec {
    pub id: BoxId,
    pub site: SiteId,
    pub name: String,
    pub driver: String,
    pub modules: Vec<ModuleLayout>,
    /// The touch panels, each with the document slot beside it; at least one.
    pub panels: Vec<PanelSpec>,
}

/// A panel as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelSpec {
    pub id: PanelId,
    pub reader_slot: SlotNo,
}

impl BoxSpec {
    /// Checks what a box declares and expands its layout into compartments; errors name the field.
    pub fn compartments(&self) -> Result<Vec<NewCompartment>> {
        if !plain_text(&self.name, 1, 200) {
            return Err(Error::Invalid { field: "name", message: "1 to 200 visible characters".into() });
        }
        if !DRIVERS.contains(&self.driver.as_str()) {
            return Err(Error::Invalid { field: "driver", message: format!("one of {}", DRIVERS.join(", ")) });
        }
        if self.panels.is_empty() {
            return Err(Error::Invalid { field: "panel", message: "a box needs at least one panel".into() });
        }
        for (i, p) in self.panels.iter().enumerate() {
            let later = self.panels.iter().skip(i + 1);
            if later.clone().any(|o| o.id == p.id) || later.clone().any(|o| o.reader_slot == p.reader_slot) {
                return Err(Error::Invalid { field: "panel", message: format!("panel {} or its slot twice", p.id) });
            }
        }
        expand(&self.modules).map_err(|e| Error::Invalid { field: "modules", message: e.to_string() })
    }
}

impl Service {
    /// A box with its compartments counted and its layout read back as modules, as an admin changes
    /// it: the modules `put_box` takes keep the box as it is.
    pub async fn box_layout(&self, box_id: &BoxId) -> Result<(BoxRecord, usize, Vec<ModuleLayout>)> {
        let record = self.store.boxes().await?.into_iter().find(|b| &b.id == box_id).ok_or(Error::NotFound("box"))?;
        let specs: Vec<NewCompartment> =
            self.store.compartments(box_id).await?.iter().map(CompartmentRecord::spec).collect();
        Ok((record, specs.len(), modules_of(&specs)))
    }

    /// Writes the configuration's sites and boxes, at every start. A layout that would move or remove
    /// a compartment holding a document stops the start with the compartments named.
    pub async fn apply_setup(&self, sites: &[SiteSpec], boxes: &[BoxSpec]) -> Result<()> {
        for s in sites {
            self.put_site_as(&Actor::System, s).await?;
        }
        for b in boxes {
            self.put_box_as(&Actor::System, b).await?;
        }
        Ok(())
    }

    /// Creates or changes a site.
    pub async fn put_site(&self, who: &Principal, spec: &SiteSpec) -> Result<SiteRecord> {
        who.permit(StaffAction::ManageSites, None)?;
        self.put_site_as(&who.actor(), spec).await
    }

    async fn put_site_as(&self, actor: &Actor, spec: &SiteSpec) -> Result<SiteRecord> {
        spec.check()?;
        let record = SiteRecord {
            id: spec.id.clone(),
            name: spec.name.trim().to_owned(),
            address: spec.address.trim().to_owned(),
            time_zone: spec.time_zone.clone(),
            opening_hours: spec.opening_hours.clone(),
            holiday_state: spec.holiday_state.to_ascii_uppercase(),
            open_24_7: spec.open_24_7,
            four_eyes: spec.four_eyes,
            counter_phone: spec.counter_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned),
            pin_letter_kinds: spec.pin_letter_kinds.clone(),
        };
        let mut tx = self.store.begin().await?;
        let before = tx.site(&spec.id).await?;
        tx.upsert_site(&record).await?;
        if let Some(before) = &before
            && *before != record
            && *actor == Actor::System
        {
            tracing::warn!(
                site = %record.id,
                "the configuration (its file, or the demo's own) changes this site as it was kept in the database; what the admin API changed is written over"
            );
        }
        if before.as_ref() != Some(&record) {
            audit(
                tx.as_mut(),
                self,
                actor,
                "site_changed",
                format!("site:{}", spec.id),
                json!({ "name": record.name }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Creates or changes a box with its layout and panels, never under a document.
    pub async fn put_box(&self, who: &Principal, spec: &BoxSpec) -> Result<BoxRecord> {
        who.permit(StaffAction::ManageSites, None)?;
        self.put_box_as(&who.actor(), spec).await
    }

    async fn put_box_as(&self, actor: &Actor, spec: &BoxSpec) -> Result<BoxRecord> {
        let compartments = spec.compartments()?;
        let record = BoxRecord {
            id: spec.id.clone(),
            site: spec.site.clone(),
            name: spec.name.trim().to_owned(),
            driver: spec.driver.clone(),
        };
        let panels: Vec<PanelRecord> = spec
            .panels
            .iter()
            .map(|p| PanelRecord { box_id: spec.id.clone(), id: p.id.clone(), reader_slot: p.reader_slot })
            .collect();
        if self.box_unchanged(&record, &compartments, &panels).await? {
            return Ok(record);
        }
        self.retrying(|| self.put_box_once(actor, &record, &compartments, &panels)).await?;
        Ok(record)
    }

    /// Whether the box is kept exactly as declared: then a start (or a repeated PUT) writes nothing,
    /// and the audit log gets no entry for a change that was none.
    async fn box_unchanged(
        &self,
        record: &BoxRecord,
        compartments: &[NewCompartment],
        panels: &[PanelRecord],
    ) -> Result<bool> {
        let Some(kept) = self.store.boxes().await?.into_iter().find(|b| b.id == record.id) else {
            return Ok(false);
        };
        if kept != *record {
            return Ok(false);
        }
        let mut kept_panels = self.store.panels(&record.id).await?;
        let mut declared_panels = panels.to_vec();
        kept_panels.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        declared_panels.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        if kept_panels != declared_panels {
            return Ok(false);
        }
        let current = self.store.compartments(&record.id).await?;
        Ok(current.len() == compartments.len() && current.iter().zip(compartments).all(|(c, n)| as_declared(n, c)))
    }

    async fn put_box_once(
        &self,
        actor: &Actor,
        record: &BoxRecord,
        compartments: &[NewCompartment],
        panels: &[PanelRecord],
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.site(&record.site).await?.ok_or(Error::Unknown { field: "site" })?;
        let before = tx.compartments(&record.id).await?;
        if let Some(old) = tx.box_record(&record.id).await?
            && old.site != record.site
            && before.iter().any(holds_something)
        {
            return Err(Error::Invalid { field: "site", message: "a box holding documents stays at its site".into() });
        }
        // Refused before anything is written: a compartment in use keeps its label, which the new
        // layout may give to another one, and that collision would hide which compartments are in use.
        let in_use: Vec<CompartmentNo> = before
            .iter()
            .filter(|c| holds_something(c) && !compartments.iter().any(|n| as_declared(n, c)))
            .map(|c| c.number)
            .collect();
        if !in_use.is_empty() {
            return Err(Error::CompartmentsInUse(in_use));
        }
        // The writes change only free, empty compartments; what is left differing from the layout
        // afterwards holds or expects a document (perhaps since a moment ago), and the change is refused.
        tx.upsert_box(record, compartments, panels).await?;
        let keep: Vec<CompartmentNo> = compartments.iter().map(|c| c.number).collect();
        let mut refused = tx.remove_free_compartments(&record.id, &keep).await?;
        for current in tx.compartments(&record.id).await? {
            if !compartments.iter().any(|n| as_declared(n, &current)) && !refused.contains(&current.number) {
                refused.push(current.number);
            }
        }
        if !refused.is_empty() {
            refused.sort();
            return Err(Error::CompartmentsInUse(refused));
        }
        let detail = json!({ "compartments": compartments.len(), "panels": panels.len() });
        audit(tx.as_mut(), self, actor, "box_changed", format!("box:{}", record.id), detail).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether a kept compartment is the one declared, in number, place and size.
fn as_declared(n: &NewCompartment, c: &abholbox_store::CompartmentRecord) -> bool {
    n.number == c.number
        && n.label == c.label
        && n.module == c.module
        && n.row == c.row
        && n.column == c.column
        && n.size == c.size
        && n.within_reach == c.within_reach
}

/// A name or address as staff and citizens read it: visible characters and plain spaces only.
fn plain_text(s: &str, min: usize, max: usize) -> bool {
    let n = s.trim().chars().count();
    (min..=max).contains(&n) && s.chars().all(abholbox_core::text::is_visible)
}

/// Whether a compartment holds or expects a document, or is out of use until staff look inside.
fn holds_something(c: &abholbox_store::CompartmentRecord) -> bool {
    c.pickup.is_some() || c.state != CompartmentState::Free
}

async fn audit(
    tx: &mut dyn Tx,
    service: &Service,
    actor: &Actor,
    action: &'static str,
    object: String,
    detail: serde_json::Value,
) -> Result<()> {
    tx.append_audit(&NewAuditEntry { at: service.clock.now(), actor: actor.to_string(), action, object, detail })
        .await?;
    Ok(())
}
