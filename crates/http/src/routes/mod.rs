//! The routes, grouped the way their callers are: the registry, the kiosk, the simulator.

mod admin;
mod boxes;
mod health;
mod kiosk;
mod metrics;
pub(crate) mod pickups;
mod sim;
mod sms;

use axum::http::{StatusCode, Uri};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every JSON request body through the deserialisation and the pure checks its route applies, for
/// the fuzz targets in `fuzz/` (built with the `fuzzing` feature only).
#[cfg(feature = "fuzzing")]
pub fn fuzz_request_bodies(data: &[u8]) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
    pickups::fuzz(data, today);
    kiosk::fuzz(data, today);
    boxes::fuzz(data);
    sim::fuzz(data, today);
    admin::fuzz(data);
}
use crate::error::ApiError;

pub(crate) fn api(with_simulator: bool) -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(pickups::register))
        .routes(routes!(pickups::get_pickup))
        .routes(routes!(pickups::cancel_pickup))
        .routes(routes!(pickups::unlock_pickup))
        .routes(routes!(pickups::change_phone))
        .routes(routes!(pickups::pickup_events))
        .routes(routes!(boxes::list_sites))
        .routes(routes!(boxes::list_boxes))
        .routes(routes!(boxes::deposit))
        .routes(routes!(boxes::withdraw))
        .routes(routes!(admin::admin_list_sites))
        .routes(routes!(admin::admin_put_site))
        .routes(routes!(admin::admin_list_boxes))
        .routes(routes!(admin::admin_get_box, admin::admin_put_box))
        .routes(routes!(admin::admin_list_alarms))
        .routes(routes!(admin::list_alarms))
        .routes(routes!(admin::admin_return_to_service))
        .routes(routes!(admin::admin_acknowledge_alarm))
        .routes(routes!(kiosk::start))
        .routes(routes!(kiosk::get_session))
        .routes(routes!(kiosk::phone))
        .routes(routes!(kiosk::pin))
        .routes(routes!(kiosk::birth_date))
        .routes(routes!(kiosk::pin_letter))
        .routes(routes!(kiosk::cancel_session))
        .routes(routes!(sms::kannel_report));
    if with_simulator {
        router
            .routes(routes!(sim::insert_document))
            .routes(routes!(sim::close_door))
            .routes(routes!(sim::set_fault))
            .routes(routes!(sim::box_state))
            .routes(routes!(sim::sms_inbox))
            .routes(routes!(sim::advance_clock))
    } else {
        router
    }
}

/// The simulator's control routes on their own state, for a simulator without a server.
pub(crate) fn simulator() -> OpenApiRouter<crate::SimState> {
    OpenApiRouter::new()
        .routes(routes!(sim::insert_document))
        .routes(routes!(sim::close_door))
        .routes(routes!(sim::set_fault))
        .routes(routes!(sim::box_state))
        .routes(routes!(sim::sms_inbox))
}

/// The `wait` of a long-poll: whole seconds, at most [`MAX_WAIT`](abholbox_service::waiting::MAX_WAIT)
/// (more is taken as the most); anything else is refused naming the parameter.
pub(crate) fn wait_seconds(raw: Option<&str>) -> Result<Option<std::time::Duration>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let seconds: u64 =
        raw.parse().map_err(|_| ApiError::invalid("wait", "whole seconds from 0 (more than 10 wait 10)"))?;
    Ok(Some(std::time::Duration::from_secs(seconds).min(abholbox_service::waiting::MAX_WAIT)))
}

pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::request(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {}", uri.path()))
}
