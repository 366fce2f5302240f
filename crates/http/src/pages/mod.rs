//! The staff app: server-rendered pages over the same use cases as the API. A page extracts the
//! signed-in member (see `session`), checks the form's anti-forgery token on every post, calls one
//! use case and renders its outcome in the member's language. Pages hold no rules: what a member may
//! do is decided by the use case, so that a page and an API call cannot disagree.

mod admin;
mod assets;
mod audit;
mod bin;
mod boxes;
mod compartment;
mod destruction_pdf;
mod load;
mod register;
mod render;

pub(crate) use render::error_pages;
mod session;
mod work;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) use assets::respond as asset;
pub(crate) use render::{Pages, Tr, as_page_of, html, wants_page};
pub(crate) use session::staff_from_cookie;

use crate::AppState;

/// Pages load their own stylesheet and script and nothing else; no inline script or style runs.
/// The kiosk panel and the simulator page are held to the same.
pub(crate) const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(boxes::home))
        .route("/staff/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/staff/sign-out", post(session::sign_out))
        .route("/staff/language", post(session::language))
        .route("/staff/register", get(register::form).post(register::register))
        .route("/staff/audit", get(audit::show))
        .route("/staff/admin/users", get(admin::users).post(admin::create_user))
        .route("/staff/admin/users/{name}", post(admin::change_user))
        .route("/staff/admin/tokens", get(admin::tokens).post(admin::create_token))
        .route("/staff/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/staff/admin/sites", get(admin::sites_page))
        .route("/staff/boxes/{box}", get(boxes::box_view))
        .route("/staff/boxes/{box}/load", get(load::form).post(load::load))
        .route("/staff/boxes/{box}/uncollected", get(work::lists))
        .route("/staff/boxes/{box}/compartments/{number}", get(compartment::show))
        .route("/staff/boxes/{box}/compartments/{number}/{action}", post(compartment::act))
        .route("/staff/boxes/{box}/bin", get(bin::show).post(bin::empty))
        .route("/staff/bin-records/{id}", get(bin::record))
        .route("/staff/bin-records/{id}/pdf", get(bin::record_pdf))
        .route("/staff/boxes/{box}/pickups/{pickup}/{action}", post(work::act))
        .route("/staff/boxes/{box}/alarms/{alarm}/acknowledge", post(work::acknowledge))
        .route("/staff/assets/{file}", get(assets::serve))
        .layer(axum::middleware::from_fn(crate::same_origin::posts))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        ))
}
