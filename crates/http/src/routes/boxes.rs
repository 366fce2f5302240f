//! Sites, boxes, and loading documents into a box.

use abholbox_core::document::DocumentNumber;
use abholbox_core::ids::{BoxId, PickupId};
use abholbox_service::deposits::DepositTarget;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    id: String,
    name: String,
    address: String,
    time_zone: String,
}

#[derive(Serialize, ToSchema)]
pub struct BoxView {
    id: String,
    site: String,
    name: String,
    /// `simulated` for the demo's box.
    driver: String,
    compartments: u32,
    free: u32,
    /// Free and within reach from a wheelchair.
    free_within_reach: u32,
    /// Out of use until staff have looked (a lock refused or did not answer).
    defective: u32,
}

/// The sites (citizens' offices).
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites and boxes", security(("bearer" = [])),
    responses((status = 200, body = [SiteView])))]
pub(crate) async fn list_sites(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<SiteView>>, ApiError> {
    let principal = caller.principal()?;
    let sites = state.service.store().sites().await.map_err(abholbox_service::Error::from)?;
    Ok(Json(
        sites
            .into_iter()
            .filter(|s| principal.sees(&s.id))
            .map(|s| SiteView { id: s.id.to_string(), name: s.name, address: s.address, time_zone: s.time_zone })
            .collect(),
    ))
}

/// The boxes, with how many compartments are free.
#[utoipa::path(get, path = "/api/v1/boxes", tag = "sites and boxes", security(("bearer" = [])),
    responses((status = 200, body = [BoxView])))]
pub(crate) async fn list_boxes(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<BoxView>>, ApiError> {
    let principal = caller.principal()?;
    let boxes = state.service.store().box_summaries().await.map_err(abholbox_service::Error::from)?;
    let out = boxes
        .into_iter()
        .filter(|b| principal.sees(&b.record.site))
        .map(|b| BoxView {
            id: b.record.id.to_string(),
            site: b.record.site.to_string(),
            name: b.record.name,
            driver: b.record.driver,
            compartments: b.compartments,
            free: b.free,
            free_within_reach: b.free_within_reach,
            defective: b.defective,
        })
        .collect();
    Ok(Json(out))
}

/// Which document to load: by pickup id or by the new document's number.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartDeposit {
    #[schema(nullable)]
    #[serde(default)]
    pickup: Option<String>,
    #[schema(nullable)]
    #[serde(default)]
    document_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DepositView {
    pickup: String,
    #[serde(rename = "box")]
    box_id: String,
    /// The compartment now open for loading.
    compartment: u32,
    /// Its label on the box, e.g. `A-017`.
    label: String,
    status: &'static str,
}

/// Loads a document: a compartment is assigned and opens. When its door closes, the pickup becomes
/// `ready` and the SMS with the PIN is queued. A lock that does not open takes its compartment out of
/// use; after a refusal the next free compartment is tried once more.
#[utoipa::path(post, path = "/api/v1/boxes/{box}/deposits", tag = "sites and boxes", request_body = StartDeposit,
    security(("bearer" = [])),
    params(("box" = String, Path, description = "The box id")),
    responses(
        (status = 201, description = "A compartment is open for the document", body = DepositView),
        (status = 404, description = "No such box", body = ErrorBody),
        (status = 409, description = "`box_full`, `no_compartment_within_reach`, `wrong_site` or `illegal_transition`", body = ErrorBody),
        (status = 422, description = "Neither or both of `pickup` and `document_number`, or an unknown one", body = ErrorBody),
        (status = 503, description = "`box_unavailable`: no compartment opened; those tried are out of use until staff look", body = ErrorBody),
    ))]
pub(crate) async fn deposit(
    State(state): State<AppState>,
    caller: Caller,
    Path(box_id): Path<String>,
    ApiJson(body): ApiJson<StartDeposit>,
) -> Result<(StatusCode, Json<DepositView>), ApiError> {
    let principal = caller.principal()?;
    let box_id = BoxId::parse(&box_id).map_err(|_| abholbox_service::Error::NotFound("box"))?;
    let target = match (body.pickup, body.document_number) {
        (Some(id), None) => DepositTarget::Pickup(
            PickupId::parse(&id).map_err(|_| abholbox_service::Error::Unknown { field: "pickup" })?,
        ),
        (None, Some(n)) => DepositTarget::DocumentNumber(
            DocumentNumber::parse(&n).map_err(|e| ApiError::invalid("document_number", e))?,
        ),
        _ => {
            return Err(ApiError::invalid("pickup", "give exactly one of pickup and document_number"));
        }
    };
    let started = state.service.start_deposit(principal, &box_id, target).await?;
    Ok((
        StatusCode::CREATED,
        Json(DepositView {
            pickup: started.pickup.to_string(),
            box_id: started.box_id.to_string(),
            compartment: started.compartment.get(),
            label: started.label,
            status: "depositing",
        }),
    ))
}

/// Which document to take out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartWithdrawal {
    /// An expired or cancelled pickup whose document is in this box.
    pickup: String,
}

#[derive(Serialize, ToSchema)]
pub struct WithdrawalView {
    pickup: String,
    #[serde(rename = "box")]
    box_id: String,
    /// The compartment now open for staff.
    compartment: u32,
    /// Its label on the box, e.g. `A-017`.
    label: String,
}

/// Takes an expired or cancelled document out of the box: its compartment opens. When the door closes
/// the pickup is `withdrawn`, the compartment free and the personal data erased; a citizen whose
/// document expired is told by SMS that it has gone back to the counter.
#[utoipa::path(post, path = "/api/v1/boxes/{box}/withdrawals", tag = "sites and boxes", request_body = StartWithdrawal,
    security(("bearer" = [])),
    params(("box" = String, Path, description = "The box id")),
    responses(
        (status = 201, description = "The compartment is open for staff", body = WithdrawalView),
        (status = 404, description = "`not_found`: no such box", body = ErrorBody),
        (status = 409, description = "`illegal_transition` (only expired or cancelled documents in the box) or `wrong_box`", body = ErrorBody),
        (status = 422, description = "`unknown_reference`: no such pickup", body = ErrorBody),
        (status = 503, description = "`box_unavailable`: the compartment did not open; the pickup is flagged", body = ErrorBody),
    ))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(box_id): Path<String>,
    ApiJson(body): ApiJson<StartWithdrawal>,
) -> Result<(StatusCode, Json<WithdrawalView>), ApiError> {
    let principal = caller.principal()?;
    let box_id = BoxId::parse(&box_id).map_err(|_| abholbox_service::Error::NotFound("box"))?;
    let id = PickupId::parse(&body.pickup).map_err(|_| abholbox_service::Error::Unknown { field: "pickup" })?;
    let started = state.service.start_withdrawal(principal, &box_id, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(WithdrawalView {
            pickup: started.pickup.to_string(),
            box_id: started.box_id.to_string(),
            compartment: started.compartment.get(),
            label: started.label,
        }),
    ))
}

/// The fuzz target's way in: a body as the deposit and withdrawal routes read it.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8]) {
    if let Ok(StartDeposit { pickup: Some(pickup), .. }) = serde_json::from_slice::<StartDeposit>(data) {
        let _ = abholbox_core::ids::PickupId::parse(&pickup);
    }
    if let Ok(body) = serde_json::from_slice::<StartWithdrawal>(data) {
        let _ = abholbox_core::ids::PickupId::parse(&body.pickup);
    }
}
