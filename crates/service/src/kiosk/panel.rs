//! What the panel's pages need beyond the session's steps: the citizen's "still here", a call for
//! staff, the help screen's facts about the site, and the box's shape for the map of where the
//! compartment is.

use abholbox_core::ids::{BoxId, SessionId};
use abholbox_core::kiosk::{SessionEvent, Step};
use abholbox_store::{NewAlarm, NewAuditEntry};
use serde_json::json;

use super::{ensure_open, save};
use crate::tokens::Principal;
use crate::{Error, Result, Service};

/// What the help screen tells a citizen who cannot go on at the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelHelp {
    pub site_name: String,
    pub address: String,
    /// The counter's phone number, where the site has told us.
    pub counter_phone: Option<String>,
    /// The office's hours with the day names of the panel's language; none: always open.
    pub opening_hours: Option<String>,
}

/// A module of the box as the citizen sees it: its name and size, left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxShape {
    pub module: String,
    pub rows: u32,
    pub columns: u32,
}

impl Service {
    /// The citizen confirmed they are still there: the session's idle clock starts again.
    pub async fn still_here(&self, kiosk: &Principal, id: &SessionId) -> Result<super::SessionView> {
        self.retrying(|| async {
            let mut tx = self.store.begin().await?;
            let mut session = self.load(tx.as_mut(), kiosk, id).await?;
            ensure_open(&session)?;
            session.state.apply(SessionEvent::StillHere, self.clock.now(), &self.policy.session)?;
            save(tx.as_mut(), &mut session).await?;
            tx.commit().await?;
            self.view(&session).await
        })
        .await
    }

    /// "I have received my PIN letter": recorded in the audit log with the pickup it is for, before
    /// the document's third factor is asked.
    pub async fn confirm_pin_letter(&self, kiosk: &Principal, id: &SessionId) -> Result<super::SessionView> {
        self.retrying(|| async {
            let now = self.clock.now();
            let mut tx = self.store.begin().await?;
            let mut session = self.load(tx.as_mut(), kiosk, id).await?;
            ensure_open(&session)?;
            let pickup =
                session.state.current().filter(|_| session.state.step == Step::PinLetter).map(|q| q.pickup.clone());
            session.state.apply(SessionEvent::PinLetterConfirmed, now, &self.policy.session)?;
            session.last_error = None;
            if let Some(pickup) = pickup {
                tx.append_audit(&NewAuditEntry {
                    at: now,
                    actor: super::kiosk_actor(&session).to_string(),
                    action: "pin_letter_confirmed",
                    object: pickup.to_string(),
                    detail: json!({ "session": session.id.as_str() }),
                })
                .await?;
            }
            save(tx.as_mut(), &mut session).await?;
            tx.commit().await?;
            self.view(&session).await
        })
        .await
    }

    /// A citizen at the panel asks for help: an alarm for the site's staff, one open per panel.
    pub async fn call_staff(&self, kiosk: &Principal) -> Result<()> {
        let Principal::Kiosk { box_id, panel, .. } = kiosk else { return Err(Error::Forbidden) };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let site = tx.box_record(box_id).await?.ok_or(Error::NotFound("box"))?.site;
        let alarm = NewAlarm {
            kind: "staff_called",
            site,
            box_id: Some(box_id.clone()),
            panel: Some(panel.clone()),
            compartment: None,
            at: now,
            detail: json!({}),
        };
        let raised = tx.raise_alarm(&alarm).await?;
        tx.commit().await?;
        if raised {
            tracing::warn!(%box_id, %panel, "a citizen at the panel called for staff");
        }
        Ok(())
    }

    /// The facts of the kiosk's site for its help screen, in `language`.
    pub async fn panel_help(
        &self,
        kiosk: &Principal,
        language: abholbox_core::language::PanelLanguage,
    ) -> Result<PanelHelp> {
        let Principal::Kiosk { box_id, .. } = kiosk else { return Err(Error::Forbidden) };
        let the_box = self.box_of(box_id).await?;
        let site =
            self.store.sites().await?.into_iter().find(|s| s.id == the_box.site).ok_or(Error::NotFound("site"))?;
        Ok(PanelHelp {
            site_name: site.name,
            address: site.address,
            counter_phone: site.counter_phone,
            opening_hours: (!site.open_24_7)
                .then_some(site.opening_hours)
                .flatten()
                .map(|rule| self.messages.hours(language.everyday(), &rule)),
        })
    }

    /// The box's modules left to right with their rows and columns, for the panel's small map.
    pub async fn box_shape(&self, kiosk: &Principal) -> Result<Vec<BoxShape>> {
        let Principal::Kiosk { box_id, .. } = kiosk else { return Err(Error::Forbidden) };
        let mut shape: Vec<BoxShape> = Vec::new();
        for c in self.store.compartments(box_id).await? {
            match shape.iter_mut().find(|m| m.module == c.module) {
                Some(m) => {
                    m.rows = m.rows.max(c.row);
                    m.columns = m.columns.max(c.column);
                }
                None => shape.push(BoxShape { module: c.module, rows: c.row, columns: c.column }),
            }
        }
        Ok(shape)
    }

    async fn box_of(&self, box_id: &BoxId) -> Result<abholbox_store::BoxRecord> {
        self.store.boxes().await?.into_iter().find(|b| &b.id == box_id).ok_or(Error::NotFound("box"))
    }
}
