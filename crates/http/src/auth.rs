//! Bearer tokens: who is calling, and may they.

use abholbox_core::ids::BoxId;
use abholbox_core::staff::StaffAction;
use abholbox_service::Error;
use abholbox_service::tokens::Principal;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::AppState;
use crate::error::ApiError;

/// The verified caller of a request.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && let Some(session) = crate::pages::staff_from_cookie(parts, state).await
        {
            return staff_caller(parts, session?);
        }
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

/// The API called from a staff page with its session cookie. A call that changes something must
/// carry the session's anti-forgery token in `X-CSRF-Token`, which only our pages can read.
fn staff_caller(parts: &Parts, (principal, secret): (Principal, String)) -> Result<Caller, ApiError> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD);
    let token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !safe && !abholbox_service::staff_sessions::form_token_matches(&secret, token) {
        tracing::warn!("an API call with a staff session came without its anti-forgery token; refused");
        return Err(Error::Forbidden.into());
    }
    Ok(Caller(principal))
}

impl Caller {
    /// Anyone but a panel, whose calls are the kiosk routes alone; what each may do is the use
    /// case's to decide.
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        match &self.0 {
            Principal::Kiosk { .. } => Err(Error::Forbidden.into()),
            p => Ok(p),
        }
    }

    /// A caller who may take `action` for the installation as a whole (no site named).
    pub fn may(&self, action: StaffAction) -> Result<&Principal, ApiError> {
        self.0.permit(action, None)?;
        Ok(&self.0)
    }

    /// A kiosk panel, with the box it is bound to.
    pub fn kiosk(&self) -> Result<(&Principal, &BoxId), ApiError> {
        match &self.0 {
            p @ Principal::Kiosk { box_id, .. } => Ok((p, box_id)),
            _ => Err(Error::Forbidden.into()),
        }
    }
}
