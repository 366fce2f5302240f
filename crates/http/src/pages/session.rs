//! Signing in and out, and who a page is for. The session's secret travels only in an HttpOnly,
//! SameSite=Strict cookie (Secure under TLS); every form carries the session's anti-forgery token,
//! and the sign-in form a token of its own, so that no other site can post a form in a member's
//! name or sign a browser into another account.

use abholbox_core::staff::StaffMember;
use abholbox_messages::staff::StaffLanguage;
use abholbox_service::staff_sessions::{form_token, form_token_matches};
use abholbox_service::{Error, Principal};
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::render::{LANGUAGE_COOKIE, Tr, html, refusal};
use crate::AppState;

pub(crate) const SESSION_COOKIE: &str = "abholbox_staff";
const SIGN_IN_COOKIE: &str = "abholbox_sign_in";

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).http_only(true).same_site(SameSite::Strict).path("/").secure(secure).build()
}

fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// The staff member behind a request's session cookie, if any, with the session's secret.
pub(crate) async fn staff_from_cookie(parts: &Parts, state: &AppState) -> Option<Result<(Principal, String), Error>> {
    let jar = CookieJar::from_headers(&parts.headers);
    let secret = jar.get(SESSION_COOKIE)?.value().to_owned();
    // The box map refreshes itself with this header; only what a person does keeps a session alive.
    let by_person = !parts.headers.contains_key("x-abholbox-refresh");
    Some(state.service.staff_session(&secret, by_person).await.map(|p| (p, secret)))
}

/// The header line of a signed-in page: who is signed in, and the token for its forms.
#[derive(Clone)]
pub(crate) struct Bar {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

/// A signed-in staff member on a page. Without a live session the page answers with the way to
/// the sign-in form.
pub(crate) struct Staff {
    pub principal: Principal,
    pub member: StaffMember,
    secret: String,
}

impl Staff {
    pub fn bar(&self) -> Bar {
        Bar { name: self.member.name.clone(), role: self.member.role.as_str(), csrf: form_token(&self.secret) }
    }

    /// The refusal of a form without this session's token (it was not posted from our page), or
    /// nothing when the token is the session's.
    pub fn refuse_forged(&self, t: &Tr, given: &str) -> Option<Response> {
        if form_token_matches(&self.secret, given) {
            return None;
        }
        tracing::warn!("a staff form came without its session's token; refused");
        Some(refusal(t, Some(self.bar()), &Error::Forbidden))
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match staff_from_cookie(parts, state).await {
            Some(Ok((Principal::Staff(member), secret))) => {
                Ok(Self { principal: Principal::Staff(member.clone()), member, secret })
            }
            Some(Err(e)) if !matches!(e, Error::Unauthorized) => {
                let t = Tr::from_request_parts(parts, state).await.unwrap_or_else(|n| match n {});
                Err(refusal(&t, None, &e))
            }
            _ => Err((CookieJar::new().add(removal(SESSION_COOKIE)), Redirect::to("/staff/sign-in")).into_response()),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    t: Tr,
    bar: Option<Bar>,
    token: String,
    name: String,
    error: Option<String>,
}

fn sign_in_page(t: Tr, jar: CookieJar, secure: bool, name: String, error: Option<String>) -> Response {
    let token = abholbox_service::secrets::new_token();
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let page = SignInPage { t, bar: None, token: token.clone(), name, error };
    (jar.add(cookie(SIGN_IN_COOKIE, token, secure)), html(status, &page)).into_response()
}

pub(crate) async fn sign_in_form(State(state): State<AppState>, t: Tr, jar: CookieJar) -> Response {
    sign_in_page(t, jar, state.pages.secure_cookies, String::new(), None)
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// Signs in: a new session with a new secret every time. A wrong name or password and an account
/// that must wait after many failures read the same, so that the form does not tell which names
/// exist.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    t: Tr,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let secure = state.pages.secure_cookies;
    let expected = jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if expected.is_empty() || !form_token_matches(&expected, &form_token(&form.token)) {
        let error = Some(t.t("sign-in-expired"));
        return sign_in_page(t, jar, secure, form.name, error);
    }
    let member = match state.service.sign_in(&form.name, &form.password).await {
        Ok(member) => member,
        Err(Error::SignInRefused | Error::SignInCoolingDown { .. }) => {
            let error = Some(t.t("sign-in-refused"));
            return sign_in_page(t, jar, secure, form.name, error);
        }
        Err(e) => return refusal(&t, None, &e),
    };
    // A session this browser had before ends: one browser, one session.
    if let Some(old) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.service.close_staff_session(old.value()).await
    {
        return refusal(&t, None, &e);
    }
    match state.service.open_staff_session(&member).await {
        Ok(session) => {
            let jar = jar.remove(removal(SIGN_IN_COOKIE)).add(cookie(SESSION_COOKIE, session.secret, secure));
            (jar, Redirect::to("/staff")).into_response()
        }
        Err(e) => refusal(&t, None, &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    jar: CookieJar,
    Form(form): Form<TokenOnly>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    if let Err(e) = state.service.close_staff_session(&staff.secret).await {
        return refusal(&t, Some(staff.bar()), &e);
    }
    (jar.remove(removal(SESSION_COOKIE)), Redirect::to("/staff/sign-in")).into_response()
}

#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switches the pages' language; works before sign-in too, so it changes nothing but a cookie.
pub(crate) async fn language(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = StaffLanguage::parse(&form.lang).unwrap_or(StaffLanguage::De);
    // Only a path of our own pages, so that the form cannot send anyone elsewhere.
    let ours = (form.back.starts_with("/staff") || form.back == "/sim")
        && !form.back.contains("//")
        && form.back.bytes().all(|b| b.is_ascii_graphic());
    let back = if ours { form.back } else { "/staff".into() };
    let jar = jar.add(cookie(LANGUAGE_COOKIE, lang.code().to_owned(), state.pages.secure_cookies));
    (jar, Redirect::to(&back)).into_response()
}
