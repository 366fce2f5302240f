//! The panel's screens and what each input does: one use case per post, and the screen that
//! follows rendered in the same answer (one round trip per step).

use abholbox_core::kiosk::Step;
use abholbox_core::language::PanelLanguage;
use abholbox_service::Error;
use abholbox_service::kiosk::SessionView;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use serde_json::json;

use super::screen::{self, render};
use super::{LANGUAGE_COOKIE, Panel, SESSION_COOKIE, cookie, removal};
use crate::AppState;
use crate::error::status_of;
use crate::query::ApiQuery;

/// `GET /kiosk`: the screen of the session under way, or the start screen.
pub(crate) async fn show(State(state): State<AppState>, panel: Panel) -> Response {
    match current(&state, &panel).await {
        Some(view) => session_screen(&state, &panel, &view, None, StatusCode::OK).await,
        None => to_start(&state, &panel),
    }
}

async fn current(state: &AppState, panel: &Panel) -> Option<SessionView> {
    let id = panel.session.as_ref()?;
    state.service.session(&panel.principal, id).await.ok()
}

async fn session_screen(
    state: &AppState,
    panel: &Panel,
    view: &SessionView,
    refused: Option<&str>,
    status: StatusCode,
) -> Response {
    let shape = if view.step == Step::Collect {
        state.service.box_shape(&panel.principal).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    render(&screen::for_session(state, view, refused, &shape), status)
}

#[derive(Deserialize)]
pub(crate) struct StartInput {
    lang: Option<String>,
}

/// `POST /kiosk/start`: a citizen begins in the language they chose.
pub(crate) async fn start(State(state): State<AppState>, panel: Panel, Form(input): Form<StartInput>) -> Response {
    let language = input.lang.as_deref().and_then(PanelLanguage::parse).unwrap_or(PanelLanguage::De);
    match state.service.start_session(&panel.principal, language).await {
        Ok(view) => {
            let secure = state.pages.secure_cookies;
            let jar = panel.jar.clone().add(cookie(SESSION_COOKIE, view.id.to_string(), secure, false)).add(cookie(
                LANGUAGE_COOKIE,
                language.code().to_owned(),
                secure,
                false,
            ));
            (jar, session_screen(&state, &panel, &view, None, StatusCode::OK).await).into_response()
        }
        Err(e) => {
            let status = status_of(&e);
            if status.is_server_error() && !matches!(e, Error::OutOfOrder) {
                tracing::error!(error = %e, "the panel could not start a session");
            }
            render(&screen::refused(&state, language, e.code()), status)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PhoneInput {
    #[serde(default)]
    phone: String,
}

pub(crate) async fn phone(State(state): State<AppState>, panel: Panel, Form(input): Form<PhoneInput>) -> Response {
    let Some(id) = panel.session.clone() else { return to_start(&state, &panel) };
    let outcome = state.service.enter_phone(&panel.principal, &id, &input.phone).await;
    after_input(&state, &panel, Step::Phone, outcome).await
}

#[derive(Deserialize)]
pub(crate) struct PinInput {
    #[serde(default)]
    pin: String,
}

pub(crate) async fn pin(State(state): State<AppState>, panel: Panel, Form(input): Form<PinInput>) -> Response {
    let Some(id) = panel.session.clone() else { return to_start(&state, &panel) };
    let outcome = state.service.enter_pin(&panel.principal, &id, &input.pin).await;
    after_input(&state, &panel, Step::Pin, outcome).await
}

#[derive(Deserialize)]
pub(crate) struct BirthDateInput {
    #[serde(default)]
    birth_date: String,
}

pub(crate) async fn birth_date(
    State(state): State<AppState>,
    panel: Panel,
    Form(input): Form<BirthDateInput>,
) -> Response {
    let Some(id) = panel.session.clone() else { return to_start(&state, &panel) };
    let date = as_iso_date(&input.birth_date);
    let outcome = state.service.enter_birth_date(&panel.principal, &id, &date).await;
    after_input(&state, &panel, Step::BirthDate, outcome).await
}

/// "I have received my PIN letter", confirmed with Enter.
pub(crate) async fn pin_letter(State(state): State<AppState>, panel: Panel) -> Response {
    let Some(id) = panel.session.clone() else { return to_start(&state, &panel) };
    let outcome = state.service.confirm_pin_letter(&panel.principal, &id).await;
    after_input(&state, &panel, Step::PinLetter, outcome).await
}

/// The keypad gives the date as people say it, day first (`12081974` or `12.08.1974`); the use case
/// takes `YYYY-MM-DD`. Anything else goes on as typed, for the use case to refuse.
fn as_iso_date(typed: &str) -> String {
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let only_digits_and_dots = typed.chars().all(|c| c.is_ascii_digit() || c == '.');
    match (digits.get(0..2), digits.get(2..4), digits.get(4..8)) {
        (Some(d), Some(m), Some(y)) if digits.len() == 8 && only_digits_and_dots => format!("{y}-{m}-{d}"),
        _ => typed.to_owned(),
    }
}

/// The screen after an input: the next step, or the same step with why the input was refused. An
/// input meant for another step (a double press, a stale screen) shows the step as it stands,
/// without a refusal that would confuse.
async fn after_input(
    state: &AppState,
    panel: &Panel,
    posted_at: Step,
    outcome: Result<SessionView, Error>,
) -> Response {
    match outcome {
        Ok(view) => session_screen(state, panel, &view, None, StatusCode::OK).await,
        Err(e) => {
            let status = status_of(&e);
            if status.is_server_error() && !matches!(e, Error::Box(_) | Error::NoDriver | Error::OutOfOrder) {
                tracing::error!(error = %e, "a panel input failed");
            }
            match current(state, panel).await {
                Some(view) if view.step != posted_at && !view.step.is_over() => {
                    session_screen(state, panel, &view, None, StatusCode::OK).await
                }
                Some(view) => session_screen(state, panel, &view, Some(e.code()), status).await,
                None => to_start(state, panel),
            }
        }
    }
}

fn to_start(state: &AppState, panel: &Panel) -> Response {
    let jar = panel.jar.clone().remove(removal(SESSION_COOKIE)).remove(removal(LANGUAGE_COOKIE));
    (jar, render(&screen::start(state, None), StatusCode::OK)).into_response()
}

/// `POST /kiosk/cancel` (Escape) and `POST /kiosk/restart` (after the end, or when the idle
/// warning ran out): the session ends unless a door is open, and the start screen returns.
pub(crate) async fn cancel(State(state): State<AppState>, panel: Panel) -> Response {
    if let Some(id) = &panel.session
        && let Some(view) = current(&state, &panel).await
    {
        if view.step == Step::Collect {
            return session_screen(&state, &panel, &view, None, StatusCode::CONFLICT).await;
        }
        if !view.step.is_over() {
            let _ = state.service.cancel_session(&panel.principal, id).await;
        }
    }
    to_start(&state, &panel)
}

/// `POST /kiosk/still-here`: the citizen answered the idle warning.
pub(crate) async fn still_here(State(state): State<AppState>, panel: Panel) -> Response {
    let Some(id) = &panel.session else { return StatusCode::NO_CONTENT.into_response() };
    match state.service.still_here(&panel.principal, id).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (status_of(&e), Json(json!({ "error": e.code() }))).into_response(),
    }
}

/// `GET /kiosk/help` (F3): what to do without a PIN or phone, the counter, and a call for staff.
pub(crate) async fn help(State(state): State<AppState>, panel: Panel) -> Response {
    help_screen(&state, &panel, false).await
}

pub(crate) async fn call_staff(State(state): State<AppState>, panel: Panel) -> Response {
    match state.service.call_staff(&panel.principal).await {
        Ok(()) => help_screen(&state, &panel, true).await,
        Err(e) => {
            tracing::error!(error = %e, "a call for staff could not be raised");
            help_screen(&state, &panel, false).await
        }
    }
}

async fn help_screen(state: &AppState, panel: &Panel, called: bool) -> Response {
    let view = current(state, panel).await;
    let lang = view.as_ref().map_or(PanelLanguage::De, |v| v.language);
    let open = view.as_ref().is_some_and(|v| !v.step.is_over());
    match state.service.panel_help(&panel.principal, lang).await {
        Ok(help) => render(&screen::help(state, lang, &help, open, called), StatusCode::OK),
        Err(e) => render(&screen::refused(state, lang, e.code()), status_of(&e)),
    }
}

#[derive(Deserialize)]
pub(crate) struct WaitQuery {
    v: Option<i64>,
}

/// `GET /kiosk/wait?v=N`: answers when the session changed from version `N` (the reader read a
/// document, a door closed) or after ten seconds, with the version and whether the door reminder is
/// due, so the script fetches the next screen only when there is one.
pub(crate) async fn wait(State(state): State<AppState>, panel: Panel, ApiQuery(q): ApiQuery<WaitQuery>) -> Response {
    let Some(id) = &panel.session else { return Json(json!({ "version": -1, "reminder": false })).into_response() };
    let seen = q.v.unwrap_or(0);
    match state.service.wait_for_session_change(&panel.principal, id, seen, std::time::Duration::from_secs(10)).await {
        Ok(view) => Json(json!({ "version": view.version, "reminder": view.close_door_reminder })).into_response(),
        Err(e) => (status_of(&e), Json(json!({ "version": -1, "error": e.code() }))).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::as_iso_date;

    #[test]
    fn dates_typed_day_first_become_iso_dates() {
        assert_eq!(as_iso_date("12081974"), "1974-08-12");
        assert_eq!(as_iso_date("12.08.1974"), "1974-08-12");
        assert_eq!(as_iso_date("1208197"), "1208197");
        assert_eq!(as_iso_date("12-08-1974"), "12-08-1974");
        assert_eq!(as_iso_date("١٢٠٨١٩٧٤"), "١٢٠٨١٩٧٤");
    }
}
