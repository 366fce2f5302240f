//! Who acts: a token (the registry, a panel, an admin tool), a signed-in staff member, or someone at
//! the server's command line. Every use case that changes something takes a [`Principal`] and asks
//! it for permission here, so that the API, the staff pages and the command line share one rule.

use abholbox_core::ids::{BoxId, PanelId, SiteId};
use abholbox_core::staff::{StaffAction, StaffMember};

use crate::{Actor, Error, Result, Service};

/// Who a request comes from, once its token or session is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The residents' registry software.
    Integration { token_id: String },
    /// One panel of one box.
    Kiosk { token_id: String, box_id: BoxId, panel: PanelId },
    /// An admin tool with a token: manages sites, boxes and alarms.
    Admin { token_id: String },
    /// A signed-in staff member, as their account reads now.
    Staff(StaffMember),
    /// Someone at the server's command line, who has its configuration, database and keys at hand
    /// already: trusted to set the installation up (the first admin, tokens).
    Host,
}

impl Principal {
    /// Who the audit log names.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Integration { token_id } | Self::Admin { token_id } => Actor::Integration(token_id.clone()),
            Self::Kiosk { box_id, token_id, .. } => Actor::Kiosk(box_id.clone(), token_id.clone()),
            Self::Staff(member) => Actor::Staff(member.id.clone()),
            Self::Host => Actor::Operator("command line".into()),
        }
    }

    /// Whether this principal may take `action` at `site` (`None`: the installation as a whole).
    /// Tokens may what their integration has always done; staff what their role and sites allow.
    pub fn permit(&self, action: StaffAction, site: Option<&SiteId>) -> Result<()> {
        use StaffAction::*;
        let allowed = match self {
            Self::Staff(member) => return member.check(action, site).map_err(|_| Error::Forbidden),
            Self::Host => true,
            Self::Integration { .. } => {
                matches!(action, RegisterPickup | ChangePhone | LoadDocument | Withdraw | ViewBox)
            }
            Self::Admin { .. } => matches!(
                action,
                ViewBox | ReturnToService | AcknowledgeAlarm | ManageSites | ManageTokens | ManageStaff | ViewAudit
            ),
            Self::Kiosk { .. } => false,
        };
        if allowed { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// The sites whose part of a record this principal reads, if not all of it: a clerk's or
    /// supervisor's own.
    pub fn site_scope(&self) -> Option<Vec<SiteId>> {
        match self {
            Self::Staff(member) if member.role != abholbox_core::staff::StaffRole::Admin => Some(member.sites.clone()),
            Self::Staff(_) | Self::Integration { .. } | Self::Admin { .. } | Self::Host => None,
            Self::Kiosk { .. } => Some(Vec::new()),
        }
    }

    /// Whether what happens at `site` is this principal's to see: a staff member sees only their
    /// sites' boxes, pickups and alarms.
    pub fn sees(&self, site: &SiteId) -> bool {
        match self {
            Self::Staff(member) => member.works_for(site),
            Self::Integration { .. } | Self::Admin { .. } | Self::Host => true,
            Self::Kiosk { .. } => false,
        }
    }
}

impl Service {
    /// Checks the second person a site with four eyes wants: another staff member of the site,
    /// signed in for it. At such a site a token (the registry's software) cannot load at all, since
    /// no second person can confirm it; a site without four eyes needs none. Returns the witness's id.
    pub(crate) async fn four_eyes(
        &self,
        who: &Principal,
        site: &SiteId,
        witness: Option<&StaffMember>,
    ) -> Result<Option<String>> {
        let wants = self.store.sites().await?.into_iter().any(|s| &s.id == site && s.four_eyes);
        if !wants {
            return Ok(None);
        }
        let Principal::Staff(member) = who else { return Err(Error::SecondPersonNeeded) };
        match witness {
            Some(w) if w.id != member.id && w.check(StaffAction::ViewBox, Some(site)).is_ok() => Ok(Some(w.id.clone())),
            _ => Err(Error::SecondPersonNeeded),
        }
    }

    /// Whether the site of a box wants a second staff member for loadings and service openings.
    pub async fn four_eyes_at(&self, box_id: &BoxId) -> Result<bool> {
        let site = self.site_of_box(box_id).await?;
        Ok(self.store.sites().await?.into_iter().any(|s| s.id == site && s.four_eyes))
    }

    /// The time zone of the site a box stands at, for showing times as its staff read them.
    pub async fn time_zone_of_box(&self, box_id: &BoxId) -> Result<chrono_tz::Tz> {
        let site = self.site_of_box(box_id).await?;
        let record = self.store.sites().await?.into_iter().find(|s| s.id == site).ok_or(Error::NotFound("site"))?;
        Ok(record.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin))
    }

    /// The site a box stands at, which decides whose staff may work it.
    pub(crate) async fn site_of_box(&self, box_id: &BoxId) -> Result<SiteId> {
        let boxes = self.store.boxes().await?;
        boxes.into_iter().find(|b| &b.id == box_id).map(|b| b.site).ok_or(Error::NotFound("box"))
    }
}

#[cfg(test)]
mod tests {
    use abholbox_core::staff::StaffRole;

    use super::*;

    fn site(s: &str) -> SiteId {
        SiteId::parse(s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn tokens_keep_what_they_could_do_and_staff_follow_their_role_and_sites() {
        let integration = Principal::Integration { token_id: "t".into() };
        assert!(integration.permit(StaffAction::LoadDocument, Some(&site("a"))).is_ok());
        assert!(integration.permit(StaffAction::LiftLockout, Some(&site("a"))).is_err());
        assert!(integration.permit(StaffAction::ManageSites, None).is_err());
        let admin = Principal::Admin { token_id: "t".into() };
        assert!(admin.permit(StaffAction::ManageSites, None).is_ok());
        assert!(admin.permit(StaffAction::RegisterPickup, Some(&site("a"))).is_err());
        let kiosk = Principal::Kiosk {
            token_id: "t".into(),
            box_id: BoxId::parse("b").unwrap_or_else(|_| unreachable!()),
            panel: PanelId::parse("p").unwrap_or_else(|_| unreachable!()),
        };
        assert!(StaffAction::ALL.iter().all(|a| kiosk.permit(*a, Some(&site("a"))).is_err()));
        let clerk = Principal::Staff(StaffMember {
            id: "stf_1".into(),
            name: "anna".into(),
            role: StaffRole::Clerk,
            sites: vec![site("a")],
        });
        assert!(clerk.permit(StaffAction::LoadDocument, Some(&site("a"))).is_ok());
        assert!(clerk.permit(StaffAction::LoadDocument, Some(&site("b"))).is_err());
        assert!(clerk.permit(StaffAction::ReleaseClaim, Some(&site("a"))).is_err());
        assert!(clerk.sees(&site("a")) && !clerk.sees(&site("b")));
        assert_eq!(clerk.actor().to_string(), "staff:stf_1");
    }
}
