//! What SMS gateways tell us about the messages they took.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The query Kannel's `dlr-url` carries: ours (`message`, `token`) and Kannel's report `type`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KannelReport {
    /// Our message id.
    message: String,
    /// The token that message's report URL was given; it is good for no other message.
    token: String,
    /// Kannel's report type: 1 delivered to the phone, 2 not delivered to the phone, 4 queued at
    /// the SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.
    #[param(rename = "type")]
    kind: u32,
}

/// A delivery report from Kannel (the URL we gave it per message): a message delivered, or not
/// delivered (then its pickup is flagged `sms_not_deliverable`). No bearer token: the URL's own
/// token is checked instead, because Kannel calls the URL as it was given.
#[utoipa::path(get, path = "/api/v1/sms/reports/kannel", tag = "sms", params(KannelReport),
    responses(
        (status = 204, description = "Recorded (or an intermediate report, which changes nothing)"),
        (status = 403, description = "`forbidden`: the token is not this message's", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a parameter is missing or `type` is not a number", body = ErrorBody),
    ))]
pub(crate) async fn kannel_report(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    let report = KannelReport::from_query(&query)?;
    state.service.kannel_report(&report.message, &report.token, report.kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl KannelReport {
    /// Read field by field, so that a report Kannel got wrong names what is wrong.
    fn from_query(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let field = |name: &'static str| query.get(name).cloned().ok_or_else(|| ApiError::invalid(name, "missing"));
        let kind =
            field("type")?.parse().map_err(|_| ApiError::invalid("type", "a Kannel report type: 1, 2, 4, 8 or 16"))?;
        Ok(Self { message: field("message")?, token: field("token")?, kind })
    }
}
