//! API tokens: the registry's integration token and each panel's kiosk token.
//!
//! A token is shown once at creation and stored only as its hash. A kiosk token is one panel of one
//! box: its sessions are its own, and what its panel's slot reads reaches only them.

use abholbox_core::ids::{BoxId, PanelId};
use abholbox_store::{Role, TokenRecord};

use abholbox_core::kiosk::SessionEvent;

use crate::kiosk::save;
use crate::secrets::{new_token, token_hash};
use abholbox_core::staff::StaffAction;

use crate::{Error, Result, Service};

pub use crate::principal::Principal;

impl Service {
    /// Creates a token; returns the token itself, which is never stored. A kiosk token drives the
    /// named panel of its box, or the box's first panel.
    pub async fn create_token(
        &self,
        who: &Principal,
        role: Role,
        box_id: Option<BoxId>,
        panel: Option<PanelId>,
        label: &str,
    ) -> Result<(TokenRecord, String)> {
        who.permit(StaffAction::ManageTokens, None)?;
        let mut tx = self.store.begin().await?;
        let panel = match (role, &box_id, panel) {
            (Role::Kiosk, Some(b), panel) => {
                tx.box_record(b).await?.ok_or(Error::Unknown { field: "box" })?;
                Some(match panel {
                    Some(p) => tx.panel(b, &p).await?.ok_or(Error::Unknown { field: "panel" })?.id,
                    None => self.first_panel(b).await?,
                })
            }
            (Role::Kiosk, None, _) => {
                return Err(Error::Invalid { field: "box", message: "a kiosk token is bound to a box".into() });
            }
            (Role::Integration | Role::Admin, Some(_), _) | (Role::Integration | Role::Admin, _, Some(_)) => {
                return Err(Error::Invalid {
                    field: "box",
                    message: "only a kiosk token is bound to a box and panel".into(),
                });
            }
            (Role::Integration | Role::Admin, None, None) => None,
        };
        let secret = new_token();
        let mut id = [0u8; 8];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut id);
        let record = TokenRecord {
            id: format!("tok_{}", hex::encode(id)),
            role,
            box_id,
            panel,
            hash: token_hash(&secret),
            label: label.to_owned(),
            created_at: self.clock.now(),
            revoked_at: None,
        };
        tx.insert_token(&record).await?;
        tx.commit().await?;
        Ok((record, secret))
    }

    /// The panel with the lowest slot number: where a box with one panel has it.
    async fn first_panel(&self, box_id: &BoxId) -> Result<PanelId> {
        let panels = self.store.panels(box_id).await?;
        panels.into_iter().next().map(|p| p.id).ok_or(Error::Unknown { field: "panel" })
    }

    /// Revokes a token at once, e.g. for a stolen kiosk PC. A kiosk token's sessions that have not
    /// opened a compartment end with it, so that its panel's slot no longer feeds them.
    pub async fn revoke_token(&self, who: &Principal, id: &str) -> Result<()> {
        who.permit(StaffAction::ManageTokens, None)?;
        let now = self.clock.now();
        let record = self.store.token(id).await?;
        let mut tx = self.store.begin().await?;
        if !tx.revoke_token(id, now).await? {
            return Err(Error::NotFound("token"));
        }
        if let Some(TokenRecord { box_id: Some(b), panel: Some(panel), .. }) = record {
            for mut session in tx.open_sessions_of_panel(&b, &panel).await? {
                if session.token_id == id
                    && session.state.apply(SessionEvent::Cancel, now, &self.policy.session).is_ok()
                {
                    session.last_error = Some("token_revoked".into());
                    save(tx.as_mut(), &mut session).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Verifies a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        if token.len() > 200 {
            return Err(Error::Unauthorized);
        }
        let record = self.store.token_by_hash(&token_hash(token)).await?.ok_or(Error::Unauthorized)?;
        if record.revoked_at.is_some() {
            return Err(Error::Unauthorized);
        }
        match (record.role, record.box_id) {
            (Role::Integration, _) => Ok(Principal::Integration { token_id: record.id }),
            (Role::Admin, _) => Ok(Principal::Admin { token_id: record.id }),
            (Role::Kiosk, Some(box_id)) => {
                let panel = match record.panel {
                    Some(p) => p,
                    None => self.first_panel(&box_id).await.map_err(|_| Error::Unauthorized)?,
                };
                Ok(Principal::Kiosk { token_id: record.id, box_id, panel })
            }
            (Role::Kiosk, None) => Err(Error::Unauthorized),
        }
    }

    /// The panel a kiosk token drives, for the simulator's reader: a read names a slot, and the
    /// demo's hands name the panel by its token id.
    pub async fn panel_of_token(&self, token_id: &str) -> Result<(BoxId, PanelId)> {
        let record = self.store.token(token_id).await?.ok_or(Error::Unknown { field: "panel" })?;
        match (record.role, record.box_id) {
            (Role::Kiosk, Some(b)) => {
                let panel = match record.panel {
                    Some(p) => p,
                    None => self.first_panel(&b).await?,
                };
                Ok((b, panel))
            }
            _ => Err(Error::Unknown { field: "panel" }),
        }
    }
}
