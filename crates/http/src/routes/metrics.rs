//! `/metrics` in the Prometheus text format, for the monitoring IT already runs.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use abholbox_core::staff::StaffAction;

/// This server process's counters (commits, resident memory) in the Prometheus text format; an admin
/// token, since the figures tell how busy the boxes are.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin token", body = ErrorBody),
    ))]
pub(crate) async fn metrics(State(state): State<AppState>, caller: Caller) -> Result<impl IntoResponse, ApiError> {
    caller.may(StaffAction::ManageSites)?;
    let m = state.service.metrics();
    let mut text = String::from(
        "# HELP abholbox_store_commits_total Write transactions committed by this server process.\n\
         # TYPE abholbox_store_commits_total counter\n",
    );
    text.push_str(&format!("abholbox_store_commits_total {}\n", m.commits));
    text.push_str(&format!(
        "# HELP abholbox_store_flushes_total Flushes to disk that made those commits durable (on SQLite, \
         writes that queue for the writer share one).\n\
         # TYPE abholbox_store_flushes_total counter\nabholbox_store_flushes_total {}\n",
        m.flushes
    ));
    // In whole seconds unless a load test asks for more: to the microsecond, the writes of one PIN
    // step would tell whether the number typed has a document waiting.
    let write_seconds = if state.exact_write_time {
        format!("{:.6}", m.write_time.as_secs_f64())
    } else {
        m.write_time.as_secs().to_string()
    };
    text.push_str(&format!(
        "# HELP abholbox_store_write_seconds_total Time spent inside write transactions, summed over them \
         (SQLite has one writer: per second of wall time, the share it was busy).\n\
         # TYPE abholbox_store_write_seconds_total counter\nabholbox_store_write_seconds_total {write_seconds}\n"
    ));
    text.push_str(&format!(
        "# HELP abholbox_sms_accepted_total SMS this server process handed to a gateway.\n\
         # TYPE abholbox_sms_accepted_total counter\nabholbox_sms_accepted_total {}\n\
         # HELP abholbox_sms_given_up_total SMS this server process gave up (refused, or not accepted in time).\n\
         # TYPE abholbox_sms_given_up_total counter\nabholbox_sms_given_up_total {}\n",
        m.sms_accepted, m.sms_given_up
    ));
    text.push_str(
        "# HELP abholbox_alarms_open Alarms nobody has acknowledged yet, by kind.\n\
         # TYPE abholbox_alarms_open gauge\n",
    );
    for (kind, n) in state.service.open_alarm_counts().await? {
        text.push_str(&format!("abholbox_alarms_open{{kind=\"{kind}\"}} {n}\n"));
    }
    if let Some(bytes) = m.resident_bytes {
        text.push_str(
            "# HELP abholbox_process_resident_memory_bytes Resident memory of this server process.\n\
             # TYPE abholbox_process_resident_memory_bytes gauge\n",
        );
        text.push_str(&format!("abholbox_process_resident_memory_bytes {bytes}\n"));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text))
}
