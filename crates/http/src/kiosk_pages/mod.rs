//! The kiosk panel's pages at `/kiosk`: what a citizen touches. Server-rendered screens over the
//! same use cases as the kiosk API; a small script adds the on-screen keypad, the tactile keys,
//! speech, the idle warning and the swap from one screen to the next without a reload.
//!
//! A panel is paired once: its kiosk token then travels only in an HttpOnly cookie scoped to
//! `/kiosk`, and the citizen's session id in a second one. The session and its language live on
//! the server, so a reload, a second tab or a restarted browser shows the same step.

mod pairing;
mod screen;
mod steps;

use abholbox_core::ids::SessionId;
use abholbox_core::language::PanelLanguage;
use abholbox_service::Principal;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use tower_http::set_header::SetResponseHeaderLayer;

pub use pairing::PanelPairing;

use crate::AppState;

const PANEL_COOKIE: &str = "abholbox_kiosk";
const SESSION_COOKIE: &str = "abholbox_panel_session";
/// The language of the session under way, beside its id: a refusal by the layers around the
/// screens, which know no session, still speaks the citizen's language.
const LANGUAGE_COOKIE: &str = "abholbox_panel_language";
const COOKIE_PATH: &str = "/kiosk";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/kiosk", get(steps::show))
        .route("/kiosk/pair", get(pairing::pair_link).post(pairing::pair_form))
        .route("/kiosk/start", post(steps::start))
        .route("/kiosk/phone", post(steps::phone))
        .route("/kiosk/pin", post(steps::pin))
        .route("/kiosk/birth-date", post(steps::birth_date))
        .route("/kiosk/pin-letter", post(steps::pin_letter))
        .route("/kiosk/cancel", post(steps::cancel))
        .route("/kiosk/restart", post(steps::cancel))
        .route("/kiosk/still-here", post(steps::still_here))
        .route("/kiosk/help", get(steps::help))
        .route("/kiosk/call-staff", post(steps::call_staff))
        .route("/kiosk/wait", get(steps::wait))
        .route("/kiosk/assets/{file}", get(serve_asset))
        .layer(axum::middleware::from_fn(crate::same_origin::posts))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::pages::PAGE_POLICY),
        ))
}

fn cookie(name: &'static str, value: String, secure: bool, lasting: bool) -> Cookie<'static> {
    let mut c =
        Cookie::build((name, value)).http_only(true).same_site(SameSite::Strict).path(COOKIE_PATH).secure(secure);
    if lasting {
        // A panel stays paired across restarts of its browser until staff pair it anew.
        c = c.permanent();
    }
    c.build()
}

fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path(COOKIE_PATH).build()
}

/// The paired panel behind a request, with the citizen's session if one is under way.
pub(crate) struct Panel {
    pub principal: Principal,
    pub session: Option<SessionId>,
    /// The request's cookies, so that an answer can end the session's cookie.
    pub jar: CookieJar,
}

impl FromRequestParts<AppState> for Panel {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(PANEL_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(screen::unpaired(state));
        };
        match state.service.authenticate(&token).await {
            Ok(principal @ Principal::Kiosk { .. }) => {
                let session = jar.get(SESSION_COOKIE).and_then(|c| SessionId::parse(c.value()).ok());
                Ok(Self { principal, session, jar })
            }
            _ => Err(screen::unpaired(state)),
        }
    }
}

/// Gives every refusal under `/kiosk` a screen. The layers around the screens (a form that cannot be
/// read, a method the path does not take, too many requests, a request that took too long) answer
/// JSON, which the panel's script would show as bare text with no way on; the screen says it did not
/// work and leads back to where the session stands. `/kiosk/wait`'s own answers stay JSON: the
/// script reads only a successful one.
pub(crate) async fn error_screens(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if (path != "/kiosk" && !path.starts_with("/kiosk/")) || path == "/kiosk/wait" {
        return next.run(request).await;
    }
    let language = CookieJar::from_headers(request.headers())
        .get(LANGUAGE_COOKIE)
        .and_then(|c| PanelLanguage::parse(c.value()))
        .unwrap_or(PanelLanguage::De);
    let response = next.run(request).await;
    if !crate::pages::wants_page(&response) {
        return response;
    }
    let hitch = screen::render(&screen::hitch(&state, language), response.status());
    crate::pages::as_page_of(response, hitch)
}

async fn serve_asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    crate::pages::asset(
        &file,
        &[("kiosk.css", include_str!("../../assets/kiosk.css")), ("kiosk.js", include_str!("../../assets/kiosk.js"))],
    )
}
