//! Sites and boxes as the configuration declares them, written to the store at start.

use abholbox_core::ids::{BoxId, PanelId, SiteId, SlotNo};
use abholbox_core::layout::{ModuleLayout, expand};
use abholbox_store::{BoxRecord, NewCompartment, PanelRecord, SiteRecord};

use crate::{Error, Result, Service};

/// A site as configured.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub time_zone: String,
    /// Checked with [`abholbox_core::hours::Hours::parse`] before it gets here.
    pub opening_hours: Option<String>,
    pub holiday_state: String,
    pub open_24_7: bool,
}

/// A box as configured.
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

/// A panel as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelSpec {
    pub id: PanelId,
    pub reader_slot: SlotNo,
}

impl Service {
    /// Creates or updates sites and boxes. Existing compartments keep their state, so a restart never
    /// forgets what is in the box.
    pub async fn apply_setup(&self, sites: &[SiteSpec], boxes: &[BoxSpec]) -> Result<()> {
        let mut tx = self.store.begin().await?;
        for s in sites {
            tx.upsert_site(&SiteRecord {
                id: s.id.clone(),
                name: s.name.clone(),
                address: s.address.clone(),
                time_zone: s.time_zone.clone(),
                opening_hours: s.opening_hours.clone(),
                holiday_state: s.holiday_state.clone(),
                open_24_7: s.open_24_7,
            })
            .await?;
        }
        for b in boxes {
            let specs = expand(&b.modules).map_err(|e| Error::Invalid { field: "box", message: e.to_string() })?;
            let compartments: Vec<NewCompartment> = specs
                .into_iter()
                .map(|c| NewCompartment {
                    number: c.number,
                    label: c.label,
                    module: c.module,
                    row: c.row,
                    column: c.column,
                    size: c.size,
                    within_reach: c.within_reach,
                })
                .collect();
            if b.panels.is_empty() {
                return Err(Error::Invalid { field: "panel", message: "a box needs at least one panel".into() });
            }
            let panels: Vec<PanelRecord> = b
                .panels
                .iter()
                .map(|p| PanelRecord { box_id: b.id.clone(), id: p.id.clone(), reader_slot: p.reader_slot })
                .collect();
            tx.upsert_box(
                &BoxRecord { id: b.id.clone(), site: b.site.clone(), name: b.name.clone(), driver: b.driver.clone() },
                &compartments,
                &panels,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
