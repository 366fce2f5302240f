//! Pickups as the registry sees them.

use abholbox_core::document::{DocumentKind, DocumentNumber};
use abholbox_core::ids::{PickupId, SiteId};
use abholbox_core::language::Language;
use abholbox_core::personal::BirthDate;
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::{EventKind, PickupStatus};
use abholbox_service::pickups::{Registration, parse_reference};
use abholbox_store::{EventRecord, OutboxStatus, PickupRecord};
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

/// An opt-in: the citizen wants to collect the new document at a box.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPickup {
    /// The registry's case reference; unique per site: 1 to 64 visible characters, not beginning with
    /// `pseudonymised-` (retention marks ended pickups so).
    #[schema(example = "2026-004711")]
    pub(crate) reference: String,
    /// The site where the citizen applied and will collect.
    #[schema(example = "dus-dlz")]
    pub(crate) site: String,
    /// `id_card`, `passport`, `child_passport` or `residence_permit`.
    #[schema(example = "id_card")]
    pub(crate) document_kind: String,
    /// The new document's number, if already produced.
    #[schema(nullable)]
    pub(crate) document_number: Option<String>,
    /// An SMS-capable mobile number, as the citizen gave it.
    #[schema(example = "0151 23456701")]
    pub(crate) phone: String,
    /// `YYYY-MM-DD`.
    #[schema(example = "1974-08-12")]
    pub(crate) birth_date: String,
    /// The number of the old document to hand in at the box; null makes the birth date the third factor.
    #[schema(nullable, example = "T22000129")]
    pub(crate) old_document_number: Option<String>,
    /// The language of the SMS: `de`, `en`, `tr`, `ar`, `uk` or `pl`.
    #[schema(example = "de")]
    pub(crate) language: String,
    /// True for a wheelchair user: the document goes into a compartment within reach when seated.
    #[serde(default)]
    pub(crate) low_compartment: bool,
}

/// A pickup's state, never its PIN, phone number or birth date.
#[derive(Serialize, ToSchema)]
pub struct PickupView {
    id: String,
    reference: String,
    site: String,
    /// `awaiting_deposit`, `depositing`, `ready`, `collected`, `expired`, `withdrawn` or `cancelled`.
    status: &'static str,
    document_kind: &'static str,
    document_number: Option<String>,
    /// `old_document` or `birth_date`.
    third_factor: &'static str,
    language: &'static str,
    low_compartment: bool,
    #[serde(rename = "box")]
    box_id: Option<String>,
    /// The compartment holding the document, while it is in the box.
    compartment: Option<u32>,
    /// Locked after too many wrong PINs or third factors; a supervisor lifts it.
    locked: bool,
    /// Why staff should look at this pickup, if they should: `locked_after_wrong_pins`,
    /// `locked_after_wrong_third_factors`, `compartment_did_not_open`, `door_left_open`,
    /// `handover_unconfirmed`, `deposit_unconfirmed` or `sms_not_deliverable`.
    attention: Option<&'static str>,
    /// Staff have had the compartment opened to take the document out; it is out when the door closes.
    withdrawing: bool,
    created_at: DateTime<Utc>,
    ready_at: Option<DateTime<Utc>>,
    /// The end of the pickup window.
    deadline: Option<DateTime<Utc>>,
    /// The proof of hand-over: when the compartment door closed after the citizen opened it.
    collected_at: Option<DateTime<Utc>>,
    /// The SMS sent for this pickup, oldest first, without recipient or text.
    messages: Vec<MessageView>,
}

/// One SMS of a pickup: where it stands and what it cost.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    /// Our message id, as the gateway and its logs know it.
    id: String,
    /// `ready`, `ready_family`, `new_pin`, `reminder` or `withdrawn`.
    purpose: String,
    /// `queued`, `accepted` (a gateway took it), `delivered` (the network reported it on the phone),
    /// `failed` (refused, undeliverable or not accepted in time: the pickup is flagged
    /// `sms_not_deliverable`) or `dropped` (the pickup was called off before it went out).
    state: &'static str,
    /// When it reached that state; for a `queued` message, when it is due (after the quiet hours, on
    /// a reminder's day).
    state_at: Option<DateTime<Utc>>,
    /// What the city pays for it.
    segments: u32,
    /// Tries to hand it to a gateway.
    attempts: u32,
    /// The gateway that took it: `primary`, `secondary` or `demo`.
    gateway: Option<String>,
    /// Why the last try failed, or why it was given up.
    error: Option<String>,
}

impl From<OutboxStatus> for MessageView {
    fn from(m: OutboxStatus) -> Self {
        Self {
            id: m.message_id,
            purpose: m.purpose,
            state: m.state.as_str(),
            state_at: m.state_at,
            segments: m.segments,
            attempts: m.attempts,
            gateway: m.gateway,
            error: m.last_error,
        }
    }
}

impl PickupView {
    fn with_messages(p: PickupRecord, messages: Vec<OutboxStatus>) -> Self {
        Self { messages: messages.into_iter().map(MessageView::from).collect(), ..Self::from(p) }
    }
}

impl From<PickupRecord> for PickupView {
    fn from(p: PickupRecord) -> Self {
        Self {
            messages: Vec::new(),
            id: p.id.to_string(),
            reference: p.reference,
            site: p.site.to_string(),
            status: p.status.as_str(),
            document_kind: p.document_kind.as_str(),
            document_number: p.document_number,
            third_factor: p.third_factor.as_str(),
            language: p.language.code(),
            low_compartment: p.low_compartment,
            box_id: p.box_id.map(|b| b.to_string()),
            compartment: p.compartment.map(|c| c.get()),
            locked: p.locked,
            attention: p.attention.map(|a| a.as_str()),
            withdrawing: p.withdrawal_started_at.is_some(),
            created_at: p.created_at,
            ready_at: p.ready_at,
            deadline: p.deadline,
            collected_at: p.collected_at,
        }
    }
}

fn parse(body: RegisterPickup, today: chrono::NaiveDate) -> Result<Registration, ApiError> {
    check(body, today).map_err(|mut refused| {
        let (field, message) = refused.remove(0);
        ApiError::invalid(field, message)
    })
}

/// Checks every field of an opt-in and names each one that is wrong (the staff form shows them all
/// at once; the API answers the first).
pub(crate) fn check(
    body: RegisterPickup,
    today: chrono::NaiveDate,
) -> Result<Registration, Vec<(&'static str, String)>> {
    let mut refused = Vec::new();
    let mut note = |field: &'static str, e: String| refused.push((field, e));
    let number = |v: Option<String>| v.map(|n| DocumentNumber::parse(&n)).transpose();
    let reference = parse_reference(&body.reference).map_err(|e| match e {
        abholbox_service::Error::Invalid { message, .. } => message,
        other => other.to_string(),
    });
    let site = SiteId::parse(&body.site).map_err(|e| e.to_string());
    let document_kind = DocumentKind::parse(&body.document_kind)
        .ok_or_else(|| "one of id_card, passport, child_passport, residence_permit".to_owned());
    let document_number = number(body.document_number).map_err(|e| e.to_string());
    let phone = PhoneNumber::parse_mobile(&body.phone).map_err(|e| e.to_string());
    let birth_date = BirthDate::parse(&body.birth_date, today).map_err(|e| e.to_string());
    let old_document_number = number(body.old_document_number).map_err(|e| e.to_string());
    let language = Language::parse(&body.language).ok_or_else(|| "one of de, en, tr, ar, uk, pl".to_owned());
    let reg = (|| {
        Some(Registration {
            reference: reference.as_ref().ok()?.clone(),
            site: site.as_ref().ok()?.clone(),
            document_kind: *document_kind.as_ref().ok()?,
            document_number: document_number.as_ref().ok()?.clone(),
            phone: phone.as_ref().ok()?.clone(),
            birth_date: *birth_date.as_ref().ok()?,
            old_document_number: old_document_number.as_ref().ok()?.clone(),
            language: *language.as_ref().ok()?,
            low_compartment: body.low_compartment,
        })
    })();
    if let Some(reg) = reg {
        return Ok(reg);
    }
    for (field, result) in [
        ("reference", reference.err()),
        ("site", site.err()),
        ("document_kind", document_kind.err()),
        ("document_number", document_number.err()),
        ("phone", phone.err()),
        ("birth_date", birth_date.err()),
        ("old_document_number", old_document_number.err()),
        ("language", language.err()),
    ] {
        if let Some(e) = result {
            note(field, e);
        }
    }
    Err(refused)
}

/// Registers an opt-in at application time. One whose document is not loaded within the
/// installation's `never_loaded_after_days` (180 by default) is called off by abholbox itself: the
/// feed says `cancelled`, and its personal data is erased.
#[utoipa::path(post, path = "/api/v1/pickups", tag = "pickups", request_body = RegisterPickup,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; awaits the document", body = PickupView),
        (status = 409, description = "`duplicate_reference` or `duplicate_document_number`", body = ErrorBody),
        (status = 422, description = "A field is invalid (`invalid_phone`, …) or the site unknown", body = ErrorBody),
    ))]
pub(crate) async fn register(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RegisterPickup>,
) -> Result<(StatusCode, Json<PickupView>), ApiError> {
    let principal = caller.principal()?;
    let registration = parse(body, state.service.clock().now().date_naive())?;
    let pickup = state.service.register(principal, registration).await?;
    Ok((StatusCode::CREATED, Json(pickup.into())))
}

fn pickup_id(id: &str) -> Result<PickupId, ApiError> {
    PickupId::parse(id).map_err(|_| abholbox_service::Error::NotFound("pickup").into())
}

/// How long to wait for the next status.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitForStatus {
    /// Wait up to this many seconds (at most 10) for the status to change; without it, answer at once.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10)]
    wait: Option<String>,
    /// The status the caller knows; the answer comes as soon as the pickup's differs from it.
    status: Option<String>,
}

/// A pickup's current state; with `wait`, its next status (a long-poll).
#[utoipa::path(get, path = "/api/v1/pickups/{id}", tag = "pickups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The pickup id"), WaitForStatus),
    responses(
        (status = 200, description = "The pickup", body = PickupView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: `status` is not a status", body = ErrorBody),
    ))]
pub(crate) async fn get_pickup(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WaitForStatus>,
) -> Result<Json<PickupView>, ApiError> {
    let id = pickup_id(&id)?;
    let pickup = state.service.pickup_seen_by(caller.principal()?, &id).await?;
    let Some(wait) = super::wait_seconds(query.wait.as_deref())? else {
        return Ok(Json(PickupView::with_messages(pickup, state.service.pickup_messages(&id).await?)));
    };
    let seen = query
        .status
        .map(|s| PickupStatus::parse(&s).ok_or_else(|| ApiError::invalid("status", "one of the pickup statuses")))
        .transpose()?;
    let pickup = state.service.wait_for_pickup(&id, seen, wait).await?;
    Ok(Json(PickupView::with_messages(pickup, state.service.pickup_messages(&id).await?)))
}

/// Why a pickup is called off; kept in the audit log.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelPickup {
    #[schema(example = "collected at the counter")]
    reason: String,
}

/// Calls a pickup off. Its PIN stops working at once and an SMS with it that has not gone out is
/// dropped. A document already in the box waits there to be withdrawn.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/cancel", tag = "pickups", request_body = CancelPickup,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The pickup id")),
    responses(
        (status = 200, description = "`status` is `cancelled`", body = PickupView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: collected, withdrawn, being loaded or handed over", body = ErrorBody),
        (status = 422, description = "`invalid_reason`", body = ErrorBody),
    ))]
pub(crate) async fn cancel_pickup(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancelPickup>,
) -> Result<Json<PickupView>, ApiError> {
    let principal = caller.principal()?;
    let id = pickup_id(&id)?;
    let pickup = state.service.cancel(principal, &id, &body.reason).await?;
    Ok(Json(PickupView::with_messages(pickup, state.service.pickup_messages(&id).await?)))
}

/// Lifts a lockout after wrong PINs or third factors, once a supervisor has seen the citizen in
/// person; a new PIN goes out by SMS and the old one never works again. A staff action: a
/// supervisor's session (with its `X-CSRF-Token`), not a token.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/unlock", tag = "pickups", request_body = CancelPickup,
    params(("id" = String, Path, description = "The pickup id")),
    responses(
        (status = 200, description = "`locked` is false", body = PickupView),
        (status = 403, description = "`forbidden`: not a supervisor of the pickup's site", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the pickup is not locked", body = ErrorBody),
        (status = 422, description = "`invalid_reason`", body = ErrorBody),
    ))]
pub(crate) async fn unlock_pickup(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancelPickup>,
) -> Result<Json<PickupView>, ApiError> {
    let principal = caller.principal()?;
    let id = pickup_id(&id)?;
    let pickup = state.service.unlock(principal, &id, &body.reason).await?;
    Ok(Json(PickupView::with_messages(pickup, state.service.pickup_messages(&id).await?)))
}

/// A corrected mobile number, and why; the reason is kept in the audit log, the number sealed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePhone {
    /// A mobile number that receives SMS, as at registration.
    #[schema(example = "+49 151 23456789")]
    phone: String,
    #[schema(example = "citizen called: mistyped at the opt-in")]
    reason: String,
}

/// Corrects the citizen's mobile number, before or after the document is in the box. Messages not
/// yet sent to the old number are dropped; a document waiting in the box gets a new PIN by SMS at
/// the new number (the old PIN stops working) and its reminder again; a locked one gets its PIN
/// when the lock is lifted. The feed records `phone_changed`, without the number. For the registry
/// (its token) or a supervisor (a session with its `X-CSRF-Token`).
#[utoipa::path(post, path = "/api/v1/pickups/{id}/phone", tag = "pickups", request_body = ChangePhone,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The pickup id")),
    responses(
        (status = 200, description = "The pickup; `messages` shows the new PIN's SMS queued", body = PickupView),
        (status = 403, description = "`forbidden`: a clerk or a kiosk", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: collected, expired, called off or withdrawn, or being handed over", body = ErrorBody),
        (status = 422, description = "`invalid_phone` (not a mobile number), `invalid_reason`, or `invalid_request` (a field missing, unknown, repeated or not a string)", body = ErrorBody),
    ))]
pub(crate) async fn change_phone(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangePhone>,
) -> Result<Json<PickupView>, ApiError> {
    let principal = caller.principal()?;
    let id = pickup_id(&id)?;
    let pickup = state.service.change_phone(principal, &id, &body.phone, &body.reason).await?;
    Ok(Json(PickupView::with_messages(pickup, state.service.pickup_messages(&id).await?)))
}

/// One fact of a pickup's history.
#[derive(Serialize, ToSchema)]
pub struct PickupEventView {
    /// Only grows, across all pickups, in the order the events were committed.
    cursor: i64,
    /// What happened, from the one vocabulary of pickup events.
    #[schema(schema_with = event_kind_schema)]
    kind: String,
    at: DateTime<Utc>,
    /// The pickup's state after the fact: `status`, and where relevant `box`, `compartment`,
    /// `deadline`, `collected_at`, `attention`, `locked`. Never anything personal.
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// The names of what happens to a pickup, the same in the feed, the audit log and here: generated
/// from the core's vocabulary, so the document cannot drift from it.
fn event_kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(EventKind::ALL.iter().map(|k| k.as_str())))
        .build()
}

impl From<EventRecord> for PickupEventView {
    fn from(e: EventRecord) -> Self {
        Self { cursor: e.cursor, kind: e.kind, at: e.at, data: e.data }
    }
}

/// A pickup's history, oldest first.
#[utoipa::path(get, path = "/api/v1/pickups/{id}/events", tag = "pickups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The pickup id")),
    responses(
        (status = 200, description = "What happened to the pickup, oldest first", body = [PickupEventView]),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub(crate) async fn pickup_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<PickupEventView>>, ApiError> {
    let id = pickup_id(&id)?;
    state.service.pickup_seen_by(caller.principal()?, &id).await?;
    let events = state.service.pickup_events(&id).await?;
    Ok(Json(events.into_iter().map(PickupEventView::from).collect()))
}

/// The fuzz target's way in: a body as the registration and cancellation routes read it.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8], today: chrono::NaiveDate) {
    if let Ok(body) = serde_json::from_slice::<RegisterPickup>(data) {
        let _ = parse(body, today);
    }
    if let Ok(body) = serde_json::from_slice::<CancelPickup>(data) {
        let _ = abholbox_core::text::parse_reason(&body.reason);
    }
}
