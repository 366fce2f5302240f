//! The staff app: server-rendered pages over the same use cases as the API. A page extracts the
//! signed-in member (see `session`), checks the form's anti-forgery token on every post, calls one
//! use case and renders its outcome in the member's language. Pages hold no rules: what a member may
//! do is decided by the use case, so that a page and an API call cannot disagree.

mod assets;
mod boxes;
mod load;
mod register;
mod render;
mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) use render::Pages;
pub(crate) use session::staff_from_cookie;

use crate::AppState;

/// Pages load their own stylesheet and script and nothing else; no inline script or style runs.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(boxes::home))
        .route("/staff/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/staff/sign-out", post(session::sign_out))
        .route("/staff/language", post(session::language))
        .route("/staff/register", get(register::form).post(register::register))
        .route("/staff/boxes/{box}", get(boxes::box_view))
        .route("/staff/boxes/{box}/load", get(load::form).post(load::load))
        .route("/staff/assets/{file}", get(assets::serve))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        ))
}
