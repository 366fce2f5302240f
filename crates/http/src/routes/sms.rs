//! What SMS gateways tell us about the messages they took.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The query Kannel's `dlr-url` carries: ours (`message`, `token`) and Kannel's report `type`.
#[derive(Deserialize, IntoParams)]
pub struct KannelReport {
    /// Our message id.
    message: String,
    /// The token that message's report URL was given; it is good for no other message.
    token: String,
    /// Kannel's report type: 1 delivered to the phone, 2 not delivered to the phone, 4 queued at
    /// the SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.
    #[serde(rename = "type")]
    kind: u32,
}

/// A delivery report from Kannel (the URL we gave it per message): a message delivered, or not
/// delivered (then its pickup is flagged `sms_not_deliverable`). No bearer token: the URL's own
/// token is checked instead, because Kannel calls the URL as it was given.
#[utoipa::path(get, path = "/api/v1/sms/reports/kannel", tag = "sms", params(KannelReport),
    responses(
        (status = 204, description = "Recorded (or an intermediate report, which changes nothing)"),
        (status = 403, description = "`forbidden`: the token is not this message's", body = ErrorBody),
    ))]
pub(crate) async fn kannel_report(
    State(state): State<AppState>,
    Query(report): Query<KannelReport>,
) -> Result<StatusCode, ApiError> {
    state.service.kannel_report(&report.message, &report.token, report.kind).await?;
    Ok(StatusCode::NO_CONTENT)
}
