//! The simulated box's control side: the hands of the citizen and the clerk, and the citizen's phone.
//! Routed only when the simulated driver runs.

use std::sync::Arc;

use abholbox_box::{SimulatedBox, SimulatorError};
use abholbox_core::ids::{BoxId, CompartmentNo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

fn simulated(state: &AppState, box_id: &str) -> Result<Arc<SimulatedBox>, ApiError> {
    BoxId::parse(box_id)
        .ok()
        .and_then(|b| state.simulator.as_ref().and_then(|s| s.boxes.get(&b).cloned()))
        .ok_or_else(|| ApiError::request(StatusCode::NOT_FOUND, "not_found", "no simulated box with this id"))
}

fn refused(e: SimulatorError) -> ApiError {
    match e {
        SimulatorError::NoSuchCompartment(_) => ApiError::request(StatusCode::NOT_FOUND, "not_found", e.to_string()),
        SimulatorError::DoorNotOpen(_) => ApiError::request(StatusCode::CONFLICT, "door_not_open", e.to_string()),
        SimulatorError::SlotBusy => ApiError::request(StatusCode::CONFLICT, "slot_busy", e.to_string()),
        SimulatorError::Disconnected => {
            ApiError::request(StatusCode::SERVICE_UNAVAILABLE, "box_unavailable", e.to_string())
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct InsertDocument {
    /// The machine-readable zone as a reader sends it: lines separated by line breaks.
    #[schema(
        example = "IDD<<T220001293<<<<<<<<<<<<<<<\n6408125<2010315D<<<<<<<<<<<<<4\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<"
    )]
    mrz: String,
}

#[derive(Serialize, ToSchema)]
pub struct SimBox {
    compartments: u32,
    open_doors: Vec<u32>,
    slot_occupied: bool,
    documents_in_bin: usize,
    documents_returned: usize,
}

#[derive(Serialize, ToSchema)]
pub struct SimSms {
    to: String,
    text: String,
    at: DateTime<Utc>,
}

/// A citizen inserts a document into the slot; its zone is read.
#[utoipa::path(post, path = "/api/v1/sim/boxes/{box}/reader", tag = "simulator", request_body = InsertDocument,
    params(("box" = String, Path)),
    responses((status = 202, body = SimBox), (status = 409, description = "`slot_busy`", body = ErrorBody)))]
pub(crate) async fn insert_document(
    State(state): State<AppState>,
    Path(box_id): Path<String>,
    ApiJson(body): ApiJson<InsertDocument>,
) -> Result<(StatusCode, Json<SimBox>), ApiError> {
    let sim = simulated(&state, &box_id)?;
    sim.insert_document(&body.mrz).await.map_err(refused)?;
    Ok((StatusCode::ACCEPTED, Json(view(&sim))))
}

/// A hand closes an open compartment door.
#[utoipa::path(post, path = "/api/v1/sim/boxes/{box}/compartments/{compartment}/close", tag = "simulator",
    params(("box" = String, Path), ("compartment" = u32, Path)),
    responses((status = 200, body = SimBox), (status = 409, description = "`door_not_open`", body = ErrorBody)))]
pub(crate) async fn close_door(
    State(state): State<AppState>,
    Path((box_id, compartment)): Path<(String, String)>,
) -> Result<Json<SimBox>, ApiError> {
    let sim = simulated(&state, &box_id)?;
    let c = compartment
        .parse::<u32>()
        .ok()
        .and_then(CompartmentNo::new)
        .ok_or_else(|| ApiError::request(StatusCode::NOT_FOUND, "not_found", "no such compartment"))?;
    sim.close_door(c).await.map_err(refused)?;
    Ok(Json(view(&sim)))
}

/// The simulated box's doors, slot and bin.
#[utoipa::path(get, path = "/api/v1/sim/boxes/{box}", tag = "simulator", params(("box" = String, Path)),
    responses((status = 200, body = SimBox)))]
pub(crate) async fn box_state(
    State(state): State<AppState>,
    Path(box_id): Path<String>,
) -> Result<Json<SimBox>, ApiError> {
    let sim = simulated(&state, &box_id)?;
    Ok(Json(view(&sim)))
}

/// What the demo SMS gateway "sent", oldest first: the citizen's phone.
#[utoipa::path(get, path = "/api/v1/sim/sms", tag = "simulator", responses((status = 200, body = [SimSms])))]
pub(crate) async fn sms_inbox(State(state): State<AppState>) -> Result<Json<Vec<SimSms>>, ApiError> {
    let gateway =
        state.simulator.as_ref().and_then(|s| s.sms.clone()).ok_or_else(|| {
            ApiError::request(StatusCode::NOT_FOUND, "not_found", "the demo SMS gateway is not running")
        })?;
    Ok(Json(gateway.inbox().into_iter().map(|m| SimSms { to: m.to, text: m.text, at: m.at }).collect()))
}

fn view(sim: &SimulatedBox) -> SimBox {
    let v = sim.view();
    SimBox {
        compartments: v.compartments,
        open_doors: v.open_doors.iter().map(|c| c.get()).collect(),
        slot_occupied: v.slot_occupied,
        documents_in_bin: v.documents_in_bin,
        documents_returned: v.documents_returned,
    }
}
