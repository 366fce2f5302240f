//! API tokens: the registry's integration token and each kiosk's token, bound to its box.
//!
//! A token is shown once at creation and stored only as its hash.

use abholbox_core::ids::BoxId;
use abholbox_store::{Role, TokenRecord};

use crate::secrets::{new_token, token_hash};
use crate::{Actor, Error, Result, Service};

/// Who a request comes from, once its token is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Integration { token_id: String },
    Kiosk { token_id: String, box_id: BoxId },
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match self {
            Self::Integration { token_id } => Actor::Integration(token_id.clone()),
            Self::Kiosk { box_id, .. } => Actor::Kiosk(box_id.clone()),
        }
    }
}

impl Service {
    /// Creates a token; returns the token itself, which is never stored.
    pub async fn create_token(&self, role: Role, box_id: Option<BoxId>, label: &str) -> Result<(TokenRecord, String)> {
        let mut tx = self.store.begin().await?;
        match (role, &box_id) {
            (Role::Kiosk, Some(b)) => {
                tx.box_record(b).await?.ok_or(Error::Unknown { field: "box" })?;
            }
            (Role::Kiosk, None) => {
                return Err(Error::Invalid { field: "box", message: "a kiosk token is bound to a box".into() });
            }
            (Role::Integration, Some(_)) => {
                return Err(Error::Invalid {
                    field: "box",
                    message: "an integration token is not bound to a box".into(),
                });
            }
            (Role::Integration, None) => {}
        }
        let secret = new_token();
        let mut id = [0u8; 8];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut id);
        let record = TokenRecord {
            id: format!("tok_{}", hex::encode(id)),
            role,
            box_id,
            hash: token_hash(&secret),
            label: label.to_owned(),
            created_at: self.clock.now(),
            revoked_at: None,
        };
        tx.insert_token(&record).await?;
        tx.commit().await?;
        Ok((record, secret))
    }

    /// Revokes a token at once, e.g. for a stolen kiosk PC.
    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !tx.revoke_token(id, self.clock.now()).await? {
            return Err(Error::NotFound("token"));
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
            (Role::Kiosk, Some(box_id)) => Ok(Principal::Kiosk { token_id: record.id, box_id }),
            (Role::Kiosk, None) => Err(Error::Unauthorized),
        }
    }
}
