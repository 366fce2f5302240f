//! Sites and boxes for those who manage them (an admin token): the same use cases and checks as the
//! configuration file, which is written over them at every start for what it declares.

use abholbox_core::ids::{BoxId, PanelId, SiteId, SlotNo};
use abholbox_core::layout::ModuleLayout;
use abholbox_service::setup::{BoxSpec, PanelSpec, SiteSpec};
use abholbox_store::{BoxRecord, SiteRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use abholbox_core::staff::StaffAction;

/// A site as it is kept.
#[derive(Serialize, ToSchema)]
pub struct AdminSite {
    id: String,
    name: String,
    address: String,
    time_zone: String,
    /// OpenStreetMap `opening_hours`; null: always open.
    opening_hours: Option<String>,
    /// The federal state whose public holidays close the site: `NW`, `BE`, …
    holiday_state: String,
    /// The box stands in a room of its own and can be used at any hour.
    open_24_7: bool,
    /// A second staff member confirms each loading and service opening with their own sign-in.
    four_eyes: bool,
    /// The counter's phone number as citizens dial it, shown on the panel's help screen.
    counter_phone: Option<String>,
    /// The kinds of document whose PIN letter the citizen confirms at the panel.
    pin_letter_kinds: Vec<&'static str>,
}

impl From<SiteRecord> for AdminSite {
    fn from(s: SiteRecord) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name,
            address: s.address,
            time_zone: s.time_zone,
            opening_hours: s.opening_hours,
            holiday_state: s.holiday_state,
            open_24_7: s.open_24_7,
            four_eyes: s.four_eyes,
            counter_phone: s.counter_phone,
            pin_letter_kinds: s.pin_letter_kinds.iter().map(|k| k.as_str()).collect(),
        }
    }
}

/// A site to create or change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSite {
    #[schema(example = "Dienstleistungszentrum")]
    name: String,
    #[schema(example = "Willi-Becker-Allee 7, 40227 Düsseldorf")]
    address: String,
    #[serde(default = "berlin")]
    #[schema(example = "Europe/Berlin")]
    time_zone: String,
    #[serde(default)]
    #[schema(nullable, example = "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off")]
    opening_hours: Option<String>,
    #[serde(default = "nw")]
    #[schema(example = "NW")]
    holiday_state: String,
    #[serde(default)]
    open_24_7: bool,
    /// A second staff member confirms each loading and service opening with their own sign-in.
    #[serde(default)]
    four_eyes: bool,
    /// The counter's phone number as citizens dial it, for the panel's help screen.
    #[serde(default)]
    #[schema(example = "0211 89-91")]
    counter_phone: Option<String>,
    /// The kinds of document whose PIN letter the citizen confirms at the panel before the third
    /// factor: `id_card` for the eID PIN letter.
    #[serde(default)]
    #[schema(example = json!(["id_card"]))]
    pin_letter_kinds: Vec<String>,
}

fn berlin() -> String {
    "Europe/Berlin".into()
}

fn nw() -> String {
    "NW".into()
}

/// The sites, with their hours.
#[utoipa::path(get, path = "/api/v1/admin/sites", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The sites", body = [AdminSite])))]
pub(crate) async fn admin_list_sites(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminSite>>, ApiError> {
    caller.may(StaffAction::ManageSites)?;
    let sites = state.service.store().sites().await.map_err(abholbox_service::Error::from)?;
    Ok(Json(sites.into_iter().map(AdminSite::from).collect()))
}

/// Creates or changes a site. Hours are checked as `abholbox hours check` does.
#[utoipa::path(put, path = "/api/v1/admin/sites/{site}", tag = "admin", request_body = PutSite,
    security(("bearer" = [])), params(("site" = String, Path, description = "The site id, e.g. `dus-dlz`")),
    responses(
        (status = 200, description = "The site as kept", body = AdminSite),
        (status = 404, description = "`not_found`: not a site id", body = ErrorBody),
        (status = 422, description = "`invalid_opening_hours`, `invalid_time_zone`, `invalid_holiday_state`, `invalid_name`", body = ErrorBody),
    ))]
pub(crate) async fn admin_put_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    ApiJson(body): ApiJson<PutSite>,
) -> Result<Json<AdminSite>, ApiError> {
    let principal = caller.may(StaffAction::ManageSites)?;
    let id = SiteId::parse(&site).map_err(|_| abholbox_service::Error::NotFound("site"))?;
    let spec = SiteSpec {
        id,
        name: body.name,
        address: body.address,
        time_zone: body.time_zone,
        opening_hours: body.opening_hours,
        holiday_state: body.holiday_state,
        open_24_7: body.open_24_7,
        four_eyes: body.four_eyes,
        counter_phone: body.counter_phone,
        pin_letter_kinds: body
            .pin_letter_kinds
            .iter()
            .map(|k| {
                abholbox_core::document::DocumentKind::parse(k).ok_or_else(|| {
                    ApiError::invalid("pin_letter_kinds", "id_card, passport, child_passport or residence_permit")
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Json(state.service.put_site(principal, &spec).await?.into()))
}

/// A panel of a box and the slot beside it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPanel {
    #[schema(example = "left")]
    id: String,
    #[schema(example = 1)]
    reader_slot: u32,
}

/// A box as it is kept.
#[derive(Serialize, ToSchema)]
pub struct AdminBox {
    id: String,
    site: String,
    name: String,
    driver: String,
    compartments: usize,
    panels: Vec<AdminPanel>,
}

/// One box with its layout: the modules its compartments were built from, as `PUT` takes them, so
/// that a change to one module keeps the others as they are.
#[derive(Serialize, ToSchema)]
pub struct AdminBoxLayout {
    #[serde(flatten)]
    kept: AdminBox,
    #[schema(value_type = Vec<Object>)]
    modules: Vec<ModuleLayout>,
}

/// A box to create or change: its layout in modules, and its panels.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBox {
    /// Optional, as `GET` gives it: must be the path's.
    #[serde(default)]
    id: Option<String>,
    #[schema(example = "dus-dlz")]
    site: String,
    #[schema(example = "Ausgabebox Dienstleistungszentrum")]
    name: String,
    #[serde(default = "simulated")]
    #[schema(example = "simulated")]
    driver: String,
    /// Modules of `rows` × `columns` compartments, numbered module by module, row by row from the top.
    #[schema(value_type = Vec<Object>)]
    #[serde(deserialize_with = "objects")]
    modules: Vec<ModuleLayout>,
    #[serde(deserialize_with = "objects")]
    panels: Vec<AdminPanel>,
    /// Optional, as `GET` gives it: must be what the modules make.
    #[serde(default)]
    compartments: Option<usize>,
}

fn simulated() -> String {
    "simulated".into()
}

/// A list whose items must each be a JSON object: serde would take an item written as an array as
/// the struct's fields in order (the body as a whole is checked so in `json.rs`).
fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let items = Vec::<serde_json::Map<String, serde_json::Value>>::deserialize(deserializer)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(serde_json::Value::Object(item)).map_err(|e| D::Error::custom(format!("[{i}]: {e}")))
        })
        .collect()
}

async fn admin_box(state: &AppState, b: BoxRecord, compartments: usize) -> Result<AdminBox, ApiError> {
    let panels = state.service.store().panels(&b.id).await.map_err(abholbox_service::Error::from)?;
    Ok(AdminBox {
        id: b.id.to_string(),
        site: b.site.to_string(),
        name: b.name,
        driver: b.driver,
        compartments,
        panels: panels
            .into_iter()
            .map(|p| AdminPanel { id: p.id.to_string(), reader_slot: p.reader_slot.get() })
            .collect(),
    })
}

async fn admin_box_layout(state: &AppState, box_id: &BoxId) -> Result<AdminBoxLayout, ApiError> {
    let (b, compartments, modules) = state.service.box_layout(box_id).await?;
    Ok(AdminBoxLayout { kept: admin_box(state, b, compartments).await?, modules })
}

/// The boxes, with their panels and how many compartments each has (one query for the counts, one
/// per box for its panels, whatever the boxes' sizes).
#[utoipa::path(get, path = "/api/v1/admin/boxes", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The boxes", body = [AdminBox])))]
pub(crate) async fn admin_list_boxes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminBox>>, ApiError> {
    caller.may(StaffAction::ManageSites)?;
    let mut out = Vec::new();
    for summary in state.service.store().box_summaries().await.map_err(abholbox_service::Error::from)? {
        out.push(admin_box(&state, summary.record, summary.compartments as usize).await?);
    }
    Ok(Json(out))
}

/// One box with its modules, as `PUT` takes them.
#[utoipa::path(get, path = "/api/v1/admin/boxes/{box}", tag = "admin", security(("bearer" = [])),
    params(("box" = String, Path, description = "The box id, e.g. `dlz-1`")),
    responses(
        (status = 200, description = "The box with its layout", body = AdminBoxLayout),
        (status = 404, description = "`not_found`: no such box", body = ErrorBody),
    ))]
pub(crate) async fn admin_get_box(
    State(state): State<AppState>,
    caller: Caller,
    Path(box_id): Path<String>,
) -> Result<Json<AdminBoxLayout>, ApiError> {
    caller.may(StaffAction::ManageSites)?;
    let id = BoxId::parse(&box_id).map_err(|_| abholbox_service::Error::NotFound("box"))?;
    Ok(Json(admin_box_layout(&state, &id).await?))
}

/// Creates or changes a box. A layout that would move or remove a compartment holding or expecting a
/// document is refused with those compartments named; free compartments the layout no longer has are
/// removed. A new box's driver runs from the next start.
#[utoipa::path(put, path = "/api/v1/admin/boxes/{box}", tag = "admin", request_body = PutBox,
    security(("bearer" = [])), params(("box" = String, Path, description = "The box id, e.g. `dlz-1`")),
    responses(
        (status = 200, description = "The box as kept, with its layout", body = AdminBoxLayout),
        (status = 404, description = "`not_found`: not a box id", body = ErrorBody),
        (status = 409, description = "`compartment_in_use`: the layout would move or remove compartments holding documents", body = ErrorBody),
        (status = 422, description = "`invalid_modules` (also: `compartments` is not what the modules make), `invalid_panel`, `invalid_driver`, `invalid_box` (the body's `id` is not the path's), `unknown_reference` (site)", body = ErrorBody),
    ))]
pub(crate) async fn admin_put_box(
    State(state): State<AppState>,
    caller: Caller,
    Path(box_id): Path<String>,
    ApiJson(body): ApiJson<PutBox>,
) -> Result<Json<AdminBoxLayout>, ApiError> {
    let principal = caller.may(StaffAction::ManageSites)?;
    let id = BoxId::parse(&box_id).map_err(|_| abholbox_service::Error::NotFound("box"))?;
    // What GET gave may come back as it is: its id and count are checked, not taken.
    if body.id.as_deref().is_some_and(|given| given != box_id) {
        return Err(ApiError::invalid("box", "the body's id is not the path's"));
    }
    if let (Some(given), Ok(made)) = (body.compartments, abholbox_core::layout::expand(&body.modules))
        && given != made.len()
    {
        return Err(ApiError::invalid(
            "modules",
            format!("compartments says {given}, the modules make {}", made.len()),
        ));
    }
    let site = SiteId::parse(&body.site).map_err(|_| abholbox_service::Error::Unknown { field: "site" })?;
    let mut panels = Vec::new();
    for p in body.panels {
        let id = PanelId::parse(&p.id).map_err(|e| ApiError::invalid("panel", e))?;
        let reader_slot =
            SlotNo::new(p.reader_slot).ok_or_else(|| ApiError::invalid("panel", "slots are numbered from 1"))?;
        panels.push(PanelSpec { id, reader_slot });
    }
    let spec = BoxSpec { id, site, name: body.name, driver: body.driver, modules: body.modules, panels };
    let record = state.service.put_box(principal, &spec).await?;
    Ok(Json(admin_box_layout(&state, &record.id).await?))
}

/// An alarm for staff.
#[derive(Serialize, ToSchema)]
pub struct AdminAlarm {
    id: i64,
    /// `panel_refusals`: many refused PINs or birth dates at one panel lately; `site_refusals`: at
    /// all panels of a site; `door_forced`: a door opened without a command (the compartment is
    /// blocked until returned to service); `lock_failed`: a compartment did not open for a citizen;
    /// `door_left_open`: a door stood open past the collect timeout; `document_left_inside`: a door
    /// closed at pickup with the item sensor still seeing the document; `board_silent`: a lock
    /// controller stopped answering (its compartments are not offered until it answers again);
    /// `handover_unconfirmed`, `deposit_unconfirmed`: the service restarted while this compartment was
    /// open for a citizen or for loading, and only a look tells what became of the document.
    kind: String,
    site: String,
    #[schema(nullable)]
    r#box: Option<String>,
    #[schema(nullable)]
    panel: Option<String>,
    /// The compartment a hardware alarm is about.
    #[schema(nullable)]
    compartment: Option<u32>,
    raised_at: chrono::DateTime<chrono::Utc>,
    /// What crossed the threshold, e.g. `{"refusals": 10, "within_minutes": 15}`.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

impl From<abholbox_store::AlarmRecord> for AdminAlarm {
    fn from(a: abholbox_store::AlarmRecord) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            site: a.site.to_string(),
            r#box: a.box_id.map(|b| b.to_string()),
            panel: a.panel.map(|p| p.to_string()),
            compartment: a.compartment.map(|c| c.get()),
            raised_at: a.raised_at,
            detail: a.detail,
        }
    }
}

/// The alarms nobody has acknowledged yet, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/alarms", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Open alarms", body = [AdminAlarm])))]
pub(crate) async fn admin_list_alarms(
    state: State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminAlarm>>, ApiError> {
    list_alarms(state, caller).await
}

/// The alarms nobody has acknowledged yet, oldest first: what the staff app shows.
#[utoipa::path(get, path = "/api/v1/alarms", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Open alarms", body = [AdminAlarm]),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin token", body = ErrorBody),
    ))]
pub(crate) async fn list_alarms(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminAlarm>>, ApiError> {
    let alarms = state.service.open_alarms(caller.principal()?).await?;
    Ok(Json(alarms.into_iter().map(AdminAlarm::from).collect()))
}

/// Why a blocked compartment may be used again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnToService {
    /// What the person who looked found, for the audit log (no personal data).
    #[schema(example = "looked inside: empty, lock and door sensor work")]
    reason: String,
}

/// Puts a compartment taken out of use (its lock failed, or its door was forced) back into use,
/// after someone has looked at it: free again, or holding its pickup's document again.
#[utoipa::path(post, path = "/api/v1/admin/boxes/{box}/compartments/{compartment}/return-to-service", tag = "admin",
    security(("bearer" = [])), request_body = ReturnToService,
    params(("box" = String, Path), ("compartment" = u32, Path)),
    responses(
        (status = 204, description = "In use again"),
        (status = 404, description = "`not_found`: no such box or compartment", body = ErrorBody),
        (status = 409, description = "`compartment_in_use`: the compartment is not out of use; `door_open`: its door stands open", body = ErrorBody),
        (status = 422, description = "`invalid_request`: no reason given", body = ErrorBody),
    ))]
pub(crate) async fn admin_return_to_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((box_id, compartment)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReturnToService>,
) -> Result<axum::http::StatusCode, ApiError> {
    let box_id = abholbox_core::ids::BoxId::parse(&box_id)
        .map_err(|_| ApiError::request(axum::http::StatusCode::NOT_FOUND, "not_found", "no such box"))?;
    let c = compartment
        .parse::<u32>()
        .ok()
        .and_then(abholbox_core::ids::CompartmentNo::new)
        .ok_or_else(|| ApiError::request(axum::http::StatusCode::NOT_FOUND, "not_found", "no such compartment"))?;
    state.service.return_to_service(caller.principal()?, &box_id, c, &body.reason).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Marks an alarm seen.
#[utoipa::path(post, path = "/api/v1/admin/alarms/{id}/acknowledge", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The alarm's id")),
    responses(
        (status = 204, description = "Acknowledged"),
        (status = 404, description = "`not_found`: no open alarm with this id", body = ErrorBody),
    ))]
pub(crate) async fn admin_acknowledge_alarm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    state.service.acknowledge_alarm(caller.principal()?, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The fuzz target's way in: a body as the admin routes read it; a box's modules through the layout.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8]) {
    let _ = serde_json::from_slice::<PutSite>(data);
    if let Ok(body) = serde_json::from_slice::<PutBox>(data) {
        let _ = abholbox_core::layout::expand(&body.modules);
    }
}
