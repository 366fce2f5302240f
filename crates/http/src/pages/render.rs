//! Rendering: texts in the member's language, templates to HTML, outcomes to pages.

use std::sync::Arc;

use abholbox_core::pickup::TransitionError;
use abholbox_messages::staff::{StaffLanguage, StaffTexts};
use abholbox_service::Error;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;

use crate::AppState;

/// What the pages share: their texts, and whether cookies may travel only over TLS.
#[derive(Clone)]
pub(crate) struct Pages {
    pub texts: Arc<StaffTexts>,
    /// The kiosk panel's texts, in its seven languages.
    pub kiosk_texts: Arc<abholbox_messages::kiosk::KioskTexts>,
    pub secure_cookies: bool,
}

impl Pages {
    pub(crate) fn new(secure_cookies: bool) -> Result<Self, abholbox_messages::MessagesError> {
        Ok(Self {
            texts: Arc::new(StaffTexts::load()?),
            kiosk_texts: Arc::new(abholbox_messages::kiosk::KioskTexts::load()?),
            secure_cookies,
        })
    }
}

pub(crate) const LANGUAGE_COOKIE: &str = "abholbox_lang";

/// The texts in the language the member chose (German unless they chose English).
#[derive(Clone)]
pub(crate) struct Tr {
    texts: Arc<StaffTexts>,
    pub lang: StaffLanguage,
}

impl Tr {
    pub fn t(&self, key: &str) -> String {
        self.texts.text(self.lang, key, &[])
    }

    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.texts.text(self.lang, key, &[(name, value)])
    }

    pub fn with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.text(self.lang, key, args)
    }

    /// The text of a key made of a prefix and a stable code (`look-ready`, `role-clerk`).
    pub fn tk(&self, prefix: &str, code: &str) -> String {
        self.t(&format!("{prefix}{code}"))
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The message for a refusal: its stable code's text, or a general one. A box this server runs
    /// no driver for answers the API as unavailable; staff are told why, since nothing failed. A
    /// change refused while a citizen's claim stands answers the API as a transition its state does
    /// not allow (`illegal_transition`, which integrators rely on); staff are told to wait for the door.
    pub fn error(&self, e: &Error) -> String {
        match e {
            Error::NoDriver => self.error_code("box_not_connected"),
            Error::Transition(TransitionError::HandOverUnderway) => self.error_code("handover_in_progress"),
            _ => self.error_code(e.code()),
        }
    }

    /// The message for a stable error code (a use case's, or one the layers around the pages answer
    /// by status), or a general one.
    pub fn error_code(&self, code: &str) -> String {
        let key = format!("error-{code}");
        let text = self.t(&key);
        if text == key { self.t("error-other") } else { text }
    }
}

impl FromRequestParts<AppState> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = jar.get(LANGUAGE_COOKIE).and_then(|c| StaffLanguage::parse(c.value())).unwrap_or(StaffLanguage::De);
        Ok(Self { texts: state.pages.texts.clone(), lang })
    }
}

/// A rendered template as an answer; a template that fails to render is a bug, answered 500.
pub(crate) fn html(status: StatusCode, template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><title>Fehler</title><p>Interner Fehler.</p>"))
                .into_response()
        }
    }
}

/// A page that says why something was refused, with the status the API would answer.
#[derive(askama::Template)]
#[template(path = "staff/error.html")]
pub(crate) struct ErrorPage {
    pub t: Tr,
    pub bar: Option<super::session::Bar>,
    pub title: String,
    pub message: String,
}

pub(crate) fn refusal(t: &Tr, bar: Option<super::session::Bar>, e: &Error) -> Response {
    let status = crate::error::status_of(e);
    if status.is_server_error() {
        tracing::error!(error = %e, "a staff page failed");
    }
    let page = ErrorPage { t: t.clone(), bar, title: t.t("error-title"), message: t.error(e) };
    html(status, &page)
}

/// Staff pages answer every refusal as a page in the member's language. What the layers around the
/// handlers refuse (a form or address that does not read, a body too large, a method or path that
/// does not exist) comes from them as plain text or the API's JSON; a member who followed a stale
/// link or sent a form twice should read what happened, with a way back.
pub(crate) async fn error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if path != "/staff" && !path.starts_with("/staff/") {
        return next.run(request).await;
    }
    let jar = CookieJar::from_headers(request.headers());
    let lang = jar.get(LANGUAGE_COOKIE).and_then(|c| StaffLanguage::parse(c.value())).unwrap_or(StaffLanguage::De);
    let t = Tr { texts: state.pages.texts.clone(), lang };
    let response = next.run(request).await;
    if !wants_page(&response) {
        return response;
    }
    let status = response.status();
    let (code, _) = crate::error::for_status(status.as_u16(), "");
    let message = t.error_code(code);
    let page = ErrorPage { t: t.clone(), bar: None, title: t.t("error-title"), message };
    as_page_of(response, html(status, &page))
}

/// Whether an answer is a refusal that came as plain text or the API's JSON, where a page is due.
pub(crate) fn wants_page(response: &Response) -> bool {
    let status = response.status();
    let is_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    (status.is_client_error() || status.is_server_error()) && !is_page
}

/// `page` in place of `refused`, keeping what the refusal said besides its body (`Allow` on a 405,
/// `Retry-After` on a 429) and giving it the pages' content policy.
pub(crate) fn as_page_of(refused: Response, mut page: Response) -> Response {
    for (name, value) in refused.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page.headers_mut()
        .insert(axum::http::header::CONTENT_SECURITY_POLICY, axum::http::HeaderValue::from_static(super::PAGE_POLICY));
    page
}
