//! Bearer tokens: who is calling, and may they.

use abholbox_core::ids::BoxId;
use abholbox_service::Error;
use abholbox_service::tokens::Principal;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::ApiError;

/// The verified caller of a request.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(Error::Unauthorized)?;
        Ok(Self(state.service.authenticate(token).await?))
    }
}

impl Caller {
    /// The registry software; kiosks may not register or load.
    pub fn integration(&self) -> Result<&Principal, ApiError> {
        match &self.0 {
            p @ Principal::Integration { .. } => Ok(p),
            Principal::Kiosk { .. } | Principal::Admin { .. } => Err(Error::Forbidden.into()),
        }
    }

    /// Someone who manages sites and boxes.
    pub fn admin(&self) -> Result<&Principal, ApiError> {
        match &self.0 {
            p @ Principal::Admin { .. } => Ok(p),
            Principal::Kiosk { .. } | Principal::Integration { .. } => Err(Error::Forbidden.into()),
        }
    }

    /// A kiosk panel, with the box it is bound to.
    pub fn kiosk(&self) -> Result<(&Principal, &BoxId), ApiError> {
        match &self.0 {
            p @ Principal::Kiosk { box_id, .. } => Ok((p, box_id)),
            Principal::Integration { .. } | Principal::Admin { .. } => Err(Error::Forbidden.into()),
        }
    }
}
