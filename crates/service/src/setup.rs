//! Sites and boxes as the configuration declares them, written to the store at start.

use abholbox_core::ids::{BoxId, SiteId};
use abholbox_core::layout::{ModuleLayout, expand};
use abholbox_store::{BoxRecord, NewCompartment, SiteRecord};

use crate::{Error, Result, Service};

/// A site as configured.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

/// A box as configured.
#[derive(Debug, Clone)]
pub struct BoxSpec {
    pub id: BoxId,
    pub site: SiteId,
    pub name: String,
    pub driver: String,
    pub modules: Vec<ModuleLayout>,
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
            tx.upsert_box(
                &BoxRecord { id: b.id.clone(), site: b.site.clone(), name: b.name.clone(), driver: b.driver.clone() },
                &compartments,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
