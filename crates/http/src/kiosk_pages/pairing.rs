//! Pairing a browser with a panel: staff type the panel's kiosk token into the form once (a POST,
//! so it never stands in an address), or the demo prints a link with a pairing code that stands for
//! its panel's token. Either way the token ends up in an HttpOnly cookie and the browser is sent on
//! to `/kiosk`, so that no address the panel shows afterwards carries anything secret.

use std::sync::{Arc, Mutex};

use abholbox_service::Principal;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{LANGUAGE_COOKIE, PANEL_COOKIE, SESSION_COOKIE, cookie, removal, screen};
use crate::AppState;

/// Pairing codes the running server honours, each standing for a kiosk token. Only the demo offers
/// one; a real panel is paired through the form.
#[derive(Clone, Default)]
pub struct PanelPairing {
    offers: Arc<Mutex<Vec<(String, String)>>>,
}

impl PanelPairing {
    /// A code for a pairing link to the panel of `token`, valid while this server runs.
    pub fn offer(&self, token: &str) -> String {
        let mut bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        let code: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if let Ok(mut offers) = self.offers.lock() {
            offers.push((code.clone(), token.to_owned()));
        }
        code
    }

    fn token_for(&self, code: &str) -> Option<String> {
        let offers = self.offers.lock().ok()?;
        offers.iter().find(|(c, _)| bool::from(c.as_bytes().ct_eq(code.as_bytes()))).map(|(_, t)| t.clone())
    }
}

#[derive(Deserialize)]
pub(crate) struct PairLink {
    code: Option<String>,
}

/// `GET /kiosk/pair?code=…` from the demo's link; without a code, the form for staff.
pub(crate) async fn pair_link(State(state): State<AppState>, jar: CookieJar, Query(q): Query<PairLink>) -> Response {
    let Some(code) = q.code else { return screen::pair_form(&state, false, StatusCode::OK) };
    match state.pairing.token_for(&code) {
        Some(token) => paired(&state, jar, token).await,
        None => screen::pair_form(&state, true, StatusCode::FORBIDDEN),
    }
}

#[derive(Deserialize)]
pub(crate) struct PairInput {
    #[serde(default)]
    token: String,
}

/// `POST /kiosk/pair` with the token typed by staff.
pub(crate) async fn pair_form(State(state): State<AppState>, jar: CookieJar, Form(input): Form<PairInput>) -> Response {
    paired(&state, jar, input.token.trim().to_owned()).await
}

async fn paired(state: &AppState, jar: CookieJar, token: String) -> Response {
    match state.service.authenticate(&token).await {
        Ok(Principal::Kiosk { box_id, panel, .. }) => {
            tracing::info!(%box_id, %panel, "a browser was paired with a panel");
            let secure = state.pages.secure_cookies;
            let jar = jar.remove(removal(SESSION_COOKIE)).remove(removal(LANGUAGE_COOKIE)).add(cookie(
                PANEL_COOKIE,
                token,
                secure,
                true,
            ));
            (jar, Redirect::to("/kiosk")).into_response()
        }
        _ => screen::pair_form(state, true, StatusCode::FORBIDDEN),
    }
}
