//! When a box can be used, from its site's hours: the kiosk starts no session outside them.

use abholbox_core::hours::{Hours, Openness, State};
use abholbox_core::ids::BoxId;
use abholbox_store::{SiteRecord, Tx};

use crate::{Error, Result, Service};

/// A site's hours as stored. A site open around the clock, or without hours, is always open.
pub(crate) fn hours_of(site: &SiteRecord) -> Result<Hours> {
    let invalid = |_: abholbox_core::hours::HoursError| Error::Inconsistent("a site's stored hours do not parse");
    match (&site.opening_hours, site.open_24_7) {
        (Some(rule), false) => {
            let tz = site.time_zone.parse().map_err(|_| Error::Inconsistent("a site with an unknown time zone"))?;
            Hours::parse(rule, State::parse(&site.holiday_state).map_err(invalid)?, tz).map_err(invalid)
        }
        _ => Ok(Hours::AroundTheClock),
    }
}

impl Service {
    /// Whether a box can be used now, and until when.
    pub async fn box_openness(&self, box_id: &BoxId) -> Result<Openness> {
        let mut tx = self.store.begin().await?;
        let openness = self.openness_in(tx.as_mut(), box_id).await?;
        drop(tx);
        Ok(openness)
    }

    pub(crate) async fn openness_in(&self, tx: &mut dyn Tx, box_id: &BoxId) -> Result<Openness> {
        let the_box = tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?;
        let site = tx.site(&the_box.site).await?.ok_or(Error::NotFound("site"))?;
        Ok(hours_of(&site)?.at(self.clock.now()))
    }

    /// Refuses to start anything at a closed box, saying in the site's own time when it opens.
    pub(crate) async fn ensure_open(&self, tx: &mut dyn Tx, box_id: &BoxId) -> Result<()> {
        let the_box = tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?;
        let site = tx.site(&the_box.site).await?.ok_or(Error::NotFound("site"))?;
        let openness = hours_of(&site)?.at(self.clock.now());
        if openness.open {
            return Ok(());
        }
        let tz: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin);
        Err(Error::BoxClosed { opens_at: openness.next_change.map(|t| t.with_timezone(&tz).to_rfc3339()) })
    }
}
