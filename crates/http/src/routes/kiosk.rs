//! The kiosk panel's API: one session per citizen, the server decides each step.
use abholbox_core::ids::SessionId;
use abholbox_core::kiosk::Step;
use abholbox_core::language::PanelLanguage;
use abholbox_service::kiosk::SessionView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::query::ApiQuery;

#[derive(Serialize, ToSchema)]
pub struct CompartmentView {
    compartment: u32,
    /// As printed on the box, e.g. `A-017`.
    label: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentPosition {
    /// 1-based position in a family's run.
    position: usize,
    of: usize,
    /// `id_card`, `passport`, `child_passport` or `residence_permit`.
    kind: &'static str,
}

/// Where the session stands and what the panel should show.
#[derive(Serialize, ToSchema)]
pub struct KioskSession {
    session: String,
    /// `phone`, `pin`, `pin_letter`, `old_document`, `birth_date`, `collect`, `done` or `ended`.
    step: &'static str,
    /// Why it ended: `timeout`, `locked`, `too_many_attempts`, `cancelled`, `failed`, `unavailable`.
    reason: Option<&'static str>,
    /// At `collect`: the compartment that is open.
    compartments: Vec<CompartmentView>,
    /// For a family's documents: which one of how many.
    document: Option<DocumentPosition>,
    /// The code of the last input that was refused, to explain it.
    error: Option<String>,
    /// When the session ends without input.
    expires_at: Option<DateTime<Utc>>,
    /// At `collect`: the door has stood open a while; ask the citizen to close it.
    close_door_reminder: bool,
    /// The language chosen at the start: `de`, `de-x-ls` (Leichte Sprache), `en`, `tr`, `ar`, `uk`, `pl`.
    language: &'static str,
}

impl From<SessionView> for KioskSession {
    fn from(v: SessionView) -> Self {
        Self {
            session: v.id.to_string(),
            step: v.step.as_str(),
            reason: v.ended.map(|r| r.as_str()),
            compartments: v
                .compartments
                .into_iter()
                .map(|c| CompartmentView { compartment: c.number.get(), label: c.label })
                .collect(),
            document: v.document.map(|d| DocumentPosition { position: d.position, of: d.of, kind: d.kind.as_str() }),
            error: v.last_error,
            expires_at: v.expires_at,
            close_door_reminder: v.close_door_reminder,
            language: v.language.code(),
        }
    }
}

/// How a session starts; the body may be left out (German).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// The language the citizen chose: `de` (the default), `de-x-ls` (Leichte Sprache), `en`, `tr`,
    /// `ar`, `uk` or `pl`.
    #[schema(example = "en")]
    language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    #[schema(example = "0151 23456701")]
    phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinInput {
    #[schema(example = "482913")]
    pin: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BirthDateInput {
    /// `YYYY-MM-DD`.
    #[schema(example = "1974-08-12")]
    birth_date: String,
}

fn session_id(id: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(id).map_err(|_| abholbox_service::Error::NotFound("session").into())
}

/// Starts a session at the kiosk's box: a citizen touched the start screen.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions", tag = "kiosk", security(("bearer" = [])),
    request_body(content = Option<StartInput>, description = "Optional: the language chosen"),
    responses(
        (status = 201, description = "The session, at `phone`", body = KioskSession),
        (status = 409, description = "`box_closed`: outside the site's opening hours; the message says when it opens", body = ErrorBody),
        (status = 422, description = "`invalid_language`: not one of the panel's languages; `invalid_request`: JSON of the wrong shape", body = ErrorBody),
    ))]
pub(crate) async fn start(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<KioskSession>), ApiError> {
    let (principal, _) = caller.kiosk()?;
    let mut language = PanelLanguage::De;
    // No body, or an empty one whatever its type, starts in German, as before the language came.
    if !body.iter().all(u8::is_ascii_whitespace) {
        if !crate::json::is_json(&headers) {
            return Err(crate::json::not_json());
        }
        let input: StartInput = crate::json::parse_object(&body)?;
        if let Some(code) = input.language {
            language = PanelLanguage::parse(&code)
                .ok_or_else(|| ApiError::invalid("language", "de, de-x-ls, en, tr, ar, uk or pl"))?;
        }
    }
    Ok((StatusCode::CREATED, Json(state.service.start_session(principal, language).await?.into())))
}

/// How long to wait for the next step.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitForStep {
    /// Wait up to this many seconds (at most 10) for the step to change; without it, answer at once.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10)]
    wait: Option<String>,
    /// The step the panel shows; the answer comes as soon as the session's step differs from it.
    /// Without it, the step when the request came.
    step: Option<String>,
}

/// The session's current step; with `wait`, the next one (a long-poll, so the panel need not ask
/// again and again).
#[utoipa::path(get, path = "/api/v1/kiosk/sessions/{id}", tag = "kiosk", security(("bearer" = [])),
    params(("id" = String, Path), WaitForStep),
    responses(
        (status = 200, description = "The session", body = KioskSession),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: `step` is not a step", body = ErrorBody),
    ))]
pub(crate) async fn get_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WaitForStep>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    let id = session_id(&id)?;
    let Some(wait) = super::wait_seconds(query.wait.as_deref())? else {
        return Ok(Json(state.service.session(principal, &id).await?.into()));
    };
    let seen = query
        .step
        .map(|s| Step::parse(&s).ok_or_else(|| ApiError::invalid("step", "one of the session's steps")))
        .transpose()?;
    let view = state.service.wait_for_session(principal, &id, seen, wait).await?;
    Ok(Json(view.into()))
}

/// Step 1: the mobile number. Answers the same whether or not a document waits for it.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions/{id}/phone", tag = "kiosk", request_body = PhoneInput,
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, body = KioskSession),
        (status = 409, description = "`wrong_step`", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
        (status = 422, description = "`invalid_phone`: not a phone number at all", body = ErrorBody),
    ))]
pub(crate) async fn phone(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PhoneInput>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    Ok(Json(state.service.enter_phone(principal, &session_id(&id)?, &body.phone).await?.into()))
}

/// Step 2: the PIN from the SMS.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions/{id}/pin", tag = "kiosk", request_body = PinInput,
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, description = "Next: `old_document` or `birth_date`", body = KioskSession),
        (status = 422, description = "`phone_or_pin_wrong` (which one is not said) or `invalid_pin`", body = ErrorBody),
        (status = 429, description = "`panel_cooling_down`: too many wrong entries at this panel lately; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 423, description = "`locked`: too many wrong PINs, go to the counter", body = ErrorBody),
    ))]
pub(crate) async fn pin(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PinInput>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    Ok(Json(state.service.enter_pin(principal, &session_id(&id)?, &body.pin).await?.into()))
}

/// Step 3 for a pickup without an old document: the birth date. The compartment opens when it matches.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions/{id}/birth-date", tag = "kiosk", request_body = BirthDateInput,
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, description = "`collect`: the compartment is open", body = KioskSession),
        (status = 409, description = "`not_available` or `wrong_step`", body = ErrorBody),
        (status = 422, description = "`birth_date_wrong` or `invalid_birth_date`", body = ErrorBody),
        (status = 429, description = "`panel_cooling_down`: too many wrong entries at this panel lately; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 503, description = "`box_unavailable`: the compartment did not open", body = ErrorBody),
    ))]
pub(crate) async fn birth_date(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BirthDateInput>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    Ok(Json(state.service.enter_birth_date(principal, &session_id(&id)?, &body.birth_date).await?.into()))
}

/// Where the site asks for it (`pin_letter_kinds`), the step `pin_letter` comes before the document's
/// third factor: the citizen confirms "I have received my PIN letter"; the confirmation is recorded in
/// the audit log with the pickup.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions/{id}/pin-letter", tag = "kiosk",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, description = "Next: `old_document` or `birth_date`", body = KioskSession),
        (status = 409, description = "`wrong_step`", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    ))]
pub(crate) async fn pin_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    Ok(Json(state.service.confirm_pin_letter(principal, &session_id(&id)?).await?.into()))
}

/// The citizen cancels; not possible while a compartment is open.
#[utoipa::path(post, path = "/api/v1/kiosk/sessions/{id}/cancel", tag = "kiosk",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = KioskSession), (status = 409, body = ErrorBody)))]
pub(crate) async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KioskSession>, ApiError> {
    let (principal, _) = caller.kiosk()?;
    Ok(Json(state.service.cancel_session(principal, &session_id(&id)?).await?.into()))
}

/// The fuzz target's way in: a body as the kiosk's steps read it, through the same parsers.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8], today: chrono::NaiveDate) {
    if let Ok(body) = serde_json::from_slice::<PhoneInput>(data) {
        let _ = abholbox_core::phone::PhoneNumber::parse(&body.phone);
    }
    if let Ok(body) = serde_json::from_slice::<PinInput>(data) {
        let _ = abholbox_core::pin::PinPolicy::default().parse(&body.pin);
    }
    if let Ok(body) = serde_json::from_slice::<BirthDateInput>(data) {
        let _ = abholbox_core::personal::BirthDate::parse(&body.birth_date, today);
    }
}
