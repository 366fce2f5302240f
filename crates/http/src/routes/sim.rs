//! The simulated box's control side: the hands of the citizen and the clerk, and the citizen's phone.
//! Routed only when the simulated driver runs.

use std::sync::Arc;

use abholbox_box::{BoardFault, LockFault, SensorFault, SimulatedBox, SimulatorError};
use abholbox_core::ids::{BoxId, CompartmentNo, SlotNo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::SimState;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::query::ApiQuery;

fn simulated(state: &SimState, box_id: &str) -> Result<(BoxId, Arc<SimulatedBox>), ApiError> {
    BoxId::parse(box_id)
        .ok()
        .and_then(|b| state.simulator.as_ref().and_then(|s| s.boxes.get(&b).cloned()).map(|sim| (b, sim)))
        .ok_or_else(|| {
            ApiError::request(
                StatusCode::NOT_FOUND,
                "not_found",
                "no box with this id is simulated in this process (a serial simulator of its own process is driven at its own control port)",
            )
        })
}

fn compartment_no(compartment: &str) -> Result<CompartmentNo, ApiError> {
    compartment
        .parse::<u32>()
        .ok()
        .and_then(CompartmentNo::new)
        .ok_or_else(|| ApiError::request(StatusCode::NOT_FOUND, "not_found", "no such compartment"))
}

fn refused(e: SimulatorError) -> ApiError {
    match e {
        SimulatorError::NoSuchCompartment(_) | SimulatorError::NoSuchSlot(_) => {
            ApiError::request(StatusCode::NOT_FOUND, "not_found", e.to_string())
        }
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
    /// The panel whose slot it goes into, by its kiosk token's id (`tok_…`); the box's first panel
    /// when left out.
    #[serde(default)]
    #[schema(nullable, example = "tok_0123456789abcdef")]
    panel: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimBox {
    compartments: u32,
    open_doors: Vec<u32>,
    /// Whether any slot holds a document.
    slot_occupied: bool,
    /// The slots that hold a document.
    occupied_slots: Vec<u32>,
    documents_in_bin: usize,
    documents_returned: usize,
    /// Compartments with a fault set.
    faults: Vec<SimFault>,
    /// Lock-controller boards with a fault set; board `b` drives compartments `16b + 1` to `16b + 16`.
    boards: Vec<SimBoard>,
}

/// A board's fault.
#[derive(Serialize, ToSchema)]
pub struct SimBoard {
    board: u32,
    /// `silent` (answers nothing) or `corrupt` (answers with a wrong checksum).
    fault: &'static str,
}

/// The faults of one compartment.
#[derive(Serialize, ToSchema)]
pub struct SimFault {
    compartment: u32,
    /// `ok`, `stuck` (answers that it did not open) or `no_answer` (the command times out).
    lock: &'static str,
    /// `ok`, or `silent` (reports no door events; when it recovers it reports the door as it is).
    door_sensor: &'static str,
    /// The fault of the board that drives this compartment: `ok`, `silent` or `corrupt`.
    board: &'static str,
}

/// Faults to set on a compartment; a field left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetFault {
    #[serde(default)]
    #[schema(nullable, example = "stuck")]
    lock: Option<LockFaultName>,
    #[serde(default)]
    #[schema(nullable, example = "silent")]
    door_sensor: Option<SensorFaultName>,
    /// The board that drives the compartment (and 15 others): `silent` answers nothing, `corrupt`
    /// answers with a wrong checksum, `ok` mends it.
    #[serde(default)]
    #[schema(nullable, example = "silent")]
    board: Option<BoardFaultName>,
    /// `forced`: the door opens now without a command (forced, or a lock that let go by itself).
    #[serde(default)]
    #[schema(nullable, example = "forced")]
    door: Option<DoorFaultName>,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum BoardFaultName {
    Ok,
    Silent,
    Corrupt,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum DoorFaultName {
    Forced,
}

fn board_name(f: BoardFault) -> &'static str {
    match f {
        BoardFault::Ok => "ok",
        BoardFault::Silent => "silent",
        BoardFault::Corrupt => "corrupt",
    }
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum LockFaultName {
    Ok,
    Stuck,
    NoAnswer,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum SensorFaultName {
    Ok,
    Silent,
}

fn lock_name(f: LockFault) -> &'static str {
    match f {
        LockFault::Ok => "ok",
        LockFault::Stuck => "stuck",
        LockFault::NoAnswer => "no_answer",
    }
}

fn sensor_name(f: SensorFault) -> &'static str {
    match f {
        SensorFault::Ok => "ok",
        SensorFault::Silent => "silent",
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimSms {
    to: String,
    text: String,
    at: DateTime<Utc>,
}

/// A citizen inserts a document into a panel's slot; its zone is read and reaches only that panel.
#[utoipa::path(post, path = "/api/v1/sim/boxes/{box}/reader", tag = "simulator", request_body = InsertDocument,
    params(("box" = String, Path)),
    responses(
        (status = 202, description = "Read; the document waits in the slot", body = SimBox),
        (status = 404, description = "`not_found`: no such box", body = ErrorBody),
        (status = 409, description = "`slot_busy`", body = ErrorBody),
        (status = 422, description = "`unknown_reference`: no such panel at this box", body = ErrorBody),
    ))]
pub(crate) async fn insert_document(
    State(state): State<SimState>,
    Path(box_id): Path<String>,
    ApiJson(body): ApiJson<InsertDocument>,
) -> Result<(StatusCode, Json<SimBox>), ApiError> {
    let (box_id, sim) = simulated(&state, &box_id)?;
    let slot = slot_of(&state, &box_id, body.panel.as_deref()).await?;
    sim.insert_document(slot, &body.mrz).await.map_err(refused)?;
    Ok((StatusCode::ACCEPTED, Json(view(&sim))))
}

/// The slot beside a panel named by its token id, or beside the box's first panel.
async fn slot_of(state: &SimState, box_id: &BoxId, panel_token: Option<&str>) -> Result<SlotNo, ApiError> {
    let unknown = || ApiError::from(abholbox_service::Error::Unknown { field: "panel" });
    let Some(service) = &state.service else {
        // A simulator of its own knows no tokens: its one slot is the first panel's.
        return match panel_token {
            None => SlotNo::new(1).ok_or_else(unknown),
            Some(_) => Err(unknown()),
        };
    };
    let panels = service.store().panels(box_id).await.map_err(abholbox_service::Error::from)?;
    let panel = match panel_token {
        Some(token) => {
            let (b, panel) = service.panel_of_token(token).await?;
            if b != *box_id {
                return Err(unknown());
            }
            panels.into_iter().find(|p| p.id == panel)
        }
        None => panels.into_iter().next(),
    };
    panel.map(|p| p.reader_slot).ok_or_else(unknown)
}

/// Breaks or mends a compartment's lock, door sensor and board, or forces its door, so that every
/// failure path can be walked.
#[utoipa::path(post, path = "/api/v1/sim/boxes/{box}/compartments/{compartment}/fault", tag = "simulator",
    request_body = SetFault,
    params(("box" = String, Path), ("compartment" = u32, Path)),
    responses(
        (status = 200, description = "The compartment's faults now", body = SimFault),
        (status = 404, description = "`not_found`: no such box or compartment", body = ErrorBody),
        (status = 422, description = "`invalid_request`: an unknown fault", body = ErrorBody),
    ))]
pub(crate) async fn set_fault(
    State(state): State<SimState>,
    Path((box_id, compartment)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetFault>,
) -> Result<Json<SimFault>, ApiError> {
    let (_, sim) = simulated(&state, &box_id)?;
    let c = compartment_no(&compartment)?;
    let lock = body.lock.map(|l| match l {
        LockFaultName::Ok => LockFault::Ok,
        LockFaultName::Stuck => LockFault::Stuck,
        LockFaultName::NoAnswer => LockFault::NoAnswer,
    });
    let sensor = body.door_sensor.map(|s| match s {
        SensorFaultName::Ok => SensorFault::Ok,
        SensorFaultName::Silent => SensorFault::Silent,
    });
    let fault = sim.set_fault(c, lock, sensor).await.map_err(refused)?;
    if let Some(board) = body.board {
        let board = match board {
            BoardFaultName::Ok => BoardFault::Ok,
            BoardFaultName::Silent => BoardFault::Silent,
            BoardFaultName::Corrupt => BoardFault::Corrupt,
        };
        sim.set_board_fault(c, board).await.map_err(refused)?;
    }
    if let Some(DoorFaultName::Forced) = body.door {
        sim.force_door(c).await.map_err(refused)?;
    }
    Ok(Json(SimFault {
        compartment: c.get(),
        lock: lock_name(fault.lock),
        door_sensor: sensor_name(fault.door_sensor),
        board: board_name(sim.board_fault(c)),
    }))
}

/// How the hand leaves the compartment; the body may be left out.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CloseDoor {
    /// What the compartment's item sensor sees once the door is shut: `true` when a document was
    /// left inside (or put in), `false` when it was taken out. Left out: as before.
    #[serde(default)]
    #[schema(nullable, example = true)]
    item_inside: Option<bool>,
}

/// A hand closes an open compartment door. At a door that is still closed it waits up to a second
/// for the door to open (a kiosk shows the compartment a moment before its lock has opened); a door
/// that a lock command has just opened it closes once the box has told the server of the opening (at
/// most a second after it opened).
#[utoipa::path(post, path = "/api/v1/sim/boxes/{box}/compartments/{compartment}/close", tag = "simulator",
    request_body(content = CloseDoor, description = "Optional"),
    params(("box" = String, Path), ("compartment" = u32, Path)),
    responses(
        (status = 200, description = "Closed", body = SimBox),
        (status = 404, description = "`not_found`: no such box or compartment", body = ErrorBody),
        (status = 409, description = "`door_not_open`: the door did not open within a second", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a body that is not a CloseDoor", body = ErrorBody),
    ))]
pub(crate) async fn close_door(
    State(state): State<SimState>,
    Path((box_id, compartment)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<SimBox>, ApiError> {
    let (_, sim) = simulated(&state, &box_id)?;
    let close: CloseDoor = if body.iter().all(u8::is_ascii_whitespace) {
        CloseDoor::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid("item_inside", crate::json::without_value(&e.to_string())))?
    };
    sim.close_door_on(compartment_no(&compartment)?, close.item_inside).await.map_err(refused)?;
    Ok(Json(view(&sim)))
}

/// The simulated box's doors, slots, bin and faults.
#[utoipa::path(get, path = "/api/v1/sim/boxes/{box}", tag = "simulator", params(("box" = String, Path)),
    responses(
        (status = 200, description = "The simulated box", body = SimBox),
        (status = 404, description = "`not_found`: no such box", body = ErrorBody),
    ))]
pub(crate) async fn box_state(
    State(state): State<SimState>,
    Path(box_id): Path<String>,
) -> Result<Json<SimBox>, ApiError> {
    let (_, sim) = simulated(&state, &box_id)?;
    Ok(Json(view(&sim)))
}

/// Whose messages to show.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxFilter {
    /// Only the messages to this number, in E.164 (`+4915123456701`) or as people type it.
    to: Option<String>,
    /// With `to`: wait up to this many seconds (at most 10) until there are `count` messages to the
    /// number, instead of asking again and again.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10)]
    wait: Option<String>,
    /// With `wait`: how many messages to wait for (default 1).
    #[param(value_type = Option<u32>, minimum = 1)]
    count: Option<String>,
}

/// How far to move the demo's clock on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// Seconds, 1 to 366 days' worth.
    #[schema(example = 864000)]
    advance_seconds: i64,
}

/// The demo's time.
#[derive(Serialize, ToSchema)]
pub struct SimClock {
    now: DateTime<Utc>,
}

const LONGEST_ADVANCE: i64 = 366 * 24 * 3600;

/// Moves the demo's clock on, so that pickup windows end, reminders fall due and sessions time out
/// without waiting; what falls due is done at once (expiry, reminders). It never moves back.
#[utoipa::path(post, path = "/api/v1/sim/clock", tag = "simulator", request_body = AdvanceClock,
    responses(
        (status = 200, description = "The demo's time now", body = SimClock),
        (status = 404, description = "`not_found`: this server runs on the wall clock", body = ErrorBody),
        (status = 422, description = "`invalid_request`: not 1 s to 366 days", body = ErrorBody),
    ))]
pub(crate) async fn advance_clock(
    State(state): State<SimState>,
    ApiJson(body): ApiJson<AdvanceClock>,
) -> Result<Json<SimClock>, ApiError> {
    let service = state.service.as_ref().ok_or_else(no_clock)?;
    if !(1..=LONGEST_ADVANCE).contains(&body.advance_seconds) {
        return Err(ApiError::invalid("advance_seconds", "1 second to 366 days"));
    }
    if !service.clock().advance(chrono::Duration::seconds(body.advance_seconds)) {
        return Err(no_clock());
    }
    service.housekeeping().await?;
    service.wake_outbox();
    Ok(Json(SimClock { now: service.clock().now() }))
}

fn no_clock() -> ApiError {
    ApiError::request(StatusCode::NOT_FOUND, "not_found", "this server runs on the wall clock, which nobody moves")
}

/// What the demo SMS gateway "sent", oldest first: the citizens' phones, or one of them with `to`.
#[utoipa::path(get, path = "/api/v1/sim/sms", tag = "simulator", params(InboxFilter),
    responses(
        (status = 200, description = "The messages, oldest first", body = [SimSms]),
        (status = 422, description = "`invalid_request`: `to` is no phone number, `wait` no number of seconds, or `count` no number of messages; the message names which", body = ErrorBody),
    ))]
pub(crate) async fn sms_inbox(
    State(state): State<SimState>,
    ApiQuery(filter): ApiQuery<InboxFilter>,
) -> Result<Json<Vec<SimSms>>, ApiError> {
    let gateway =
        state.simulator.as_ref().and_then(|s| s.sms.clone()).ok_or_else(|| {
            ApiError::request(StatusCode::NOT_FOUND, "not_found", "the demo SMS gateway is not running")
        })?;
    let to = match filter.to {
        Some(n) => Some(
            abholbox_core::phone::PhoneNumber::parse(&n).map_err(|e| ApiError::invalid("to", e))?.e164().to_owned(),
        ),
        None => None,
    };
    // Parsed here rather than by the query's extractor, so that a wrong one is named like `to` and `wait`.
    let count = match filter.count.as_deref() {
        None => 1,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::invalid("count", "a whole number from 1"))?,
    };
    let messages = match (to, super::wait_seconds(filter.wait.as_deref())?) {
        (Some(to), Some(wait)) => gateway.wait_for(&to, count, wait).await,
        (None, Some(_)) => return Err(ApiError::invalid("wait", "only with `to`: whose message to wait for")),
        (Some(to), None) => gateway.inbox_of(&to),
        (None, None) => gateway.inbox(),
    };
    Ok(Json(messages.into_iter().map(|m| SimSms { to: m.to, text: m.text, at: m.at }).collect()))
}

fn view(sim: &SimulatedBox) -> SimBox {
    let v = sim.view();
    SimBox {
        compartments: v.compartments,
        open_doors: v.open_doors.iter().map(|c| c.get()).collect(),
        slot_occupied: !v.occupied_slots.is_empty(),
        occupied_slots: v.occupied_slots.iter().map(|s| s.get()).collect(),
        documents_in_bin: v.documents_in_bin,
        documents_returned: v.documents_returned,
        faults: v
            .faults
            .iter()
            .map(|(c, f)| SimFault {
                compartment: c.get(),
                lock: lock_name(f.lock),
                door_sensor: sensor_name(f.door_sensor),
                board: board_name(sim.board_fault(*c)),
            })
            .collect(),
        boards: v.boards.iter().map(|(b, f)| SimBoard { board: *b, fault: board_name(*f) }).collect(),
    }
}

/// The fuzz target's way in: a body as the simulator's routes read it; an MRZ through its parser.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8], today: chrono::NaiveDate) {
    if let Ok(body) = serde_json::from_slice::<InsertDocument>(data) {
        let _ = abholbox_core::mrz::Mrz::parse(&body.mrz, today);
    }
    let _ = serde_json::from_slice::<SetFault>(data);
}
