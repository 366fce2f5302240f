//! Outcomes to HTTP: one place decides the status of every error.

use abholbox_core::pickup::TransitionError;
use abholbox_service::Error;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The error body every endpoint answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable; clients branch on this.
    #[schema(example = "phone_or_pin_wrong")]
    pub code: String,
    /// For people; may change.
    pub message: String,
}

/// An error on its way out.
#[derive(Debug)]
pub enum ApiError {
    /// A use case said no.
    Service(Error),
    /// The request itself is wrong (bad JSON, unknown route, a simulator refusal).
    Request { status: StatusCode, code: &'static str, message: String },
}

impl ApiError {
    pub fn request(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Request { status, code, message: message.into() }
    }

    /// A field that does not parse into its domain value.
    pub fn invalid(field: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Service(Error::Invalid { field, message: reason.to_string() })
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self::Service(e)
    }
}

/// The status of an outcome, for the staff pages' answers.
pub(crate) fn status_of(e: &Error) -> StatusCode {
    status(e)
}

/// The status of each outcome.
fn status(e: &Error) -> StatusCode {
    match e {
        Error::Invalid { .. } | Error::Credential { .. } | Error::Unknown { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::DuplicateReference | Error::DuplicateDocumentNumber => StatusCode::CONFLICT,
        Error::Transition(TransitionError::Locked) | Error::Locked => StatusCode::LOCKED,
        Error::Transition(_)
        | Error::WrongSite
        | Error::WrongBox
        | Error::Allocation(_)
        | Error::NotAvailable
        | Error::HandoverInProgress => StatusCode::CONFLICT,
        Error::Step(abholbox_core::kiosk::StepError::WrongStep { .. }) => StatusCode::CONFLICT,
        Error::Step(abholbox_core::kiosk::StepError::Over) | Error::SessionOver(_) => StatusCode::GONE,
        Error::PhoneOrPinWrong | Error::BirthDateWrong | Error::OldDocumentRefused { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Error::Box(_) | Error::NoDriver | Error::OutOfOrder => StatusCode::SERVICE_UNAVAILABLE,
        Error::PanelCoolingDown { .. } | Error::SignInCoolingDown { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::SignInRefused => StatusCode::UNAUTHORIZED,
        Error::DuplicateStaffName | Error::CompartmentBusy | Error::BinEmptiedMeanwhile => StatusCode::CONFLICT,
        Error::ScanNamesTwoPickups | Error::ScanTheDocument => StatusCode::UNPROCESSABLE_ENTITY,
        Error::SecondPersonNeeded | Error::OwnAccount => StatusCode::FORBIDDEN,
        Error::BoxClosed { .. } | Error::CompartmentsInUse(_) | Error::DoorOpen | Error::NotOutOfUse => {
            StatusCode::CONFLICT
        }
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Contention => StatusCode::CONFLICT,
        Error::Store(_) | Error::Inconsistent(_) | Error::Sealed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            Self::Service(
                Error::PanelCoolingDown { retry_after_seconds } | Error::SignInCoolingDown { retry_after_seconds },
            ) => Some(retry_after_seconds.to_string()),
            Self::Request { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS => Some("1".to_owned()),
            _ => None,
        };
        let (status, code, message) = match self {
            Self::Service(e) => {
                let status = status(&e);
                let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(error = %e, "internal error");
                    "internal error; the incident is logged".to_owned()
                } else {
                    e.to_string()
                };
                (status, e.code(), message)
            }
            Self::Request { status, code, message } => (status, code, message),
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message } };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after.and_then(|s| HeaderValue::from_str(&s).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

/// The code and message of an error that only has a status: what the layers around our handlers
/// (method not allowed, body too large, timeout) and hyper itself answer.
pub(crate) fn for_status(status: u16, reason: &str) -> (&'static str, String) {
    let code = match status {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "invalid_request",
        429 => "too_many_requests",
        431 => "headers_too_large",
        501 => "not_implemented",
        503 => "unavailable",
        505 => "http_version_not_supported",
        400..=499 => "bad_request",
        _ => "internal",
    };
    let message = if reason.is_empty() { code.replace('_', " ") } else { reason.to_owned() };
    (code, message)
}

/// Gives every error answer the one body clients branch on. Our handlers answer errors with it
/// already; the layers around them (a method the path does not take, a body announced too large, the
/// request timeout) answer with an empty or plain body, which this replaces, keeping their headers
/// (`Allow` on a 405).
pub(crate) async fn shape(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = for_status(status.as_u16(), status.canonical_reason().unwrap_or_default());
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message } };
    let mut shaped = (status, Json(body)).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

/// A request that may change state runs to its end as a task of its own, even when its client goes
/// away or its time runs out: a use case commits and then gives the box the command it promised (a
/// door opens for a loading or a hand-over), and a request cut off between the two would leave a
/// compartment reserved or claimed behind a closed door. Reads stay in the request, cut off with it.
/// Either way the answer waits until the writes it rests on are durable ([`settled`]).
pub(crate) async fn run_to_end(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    if matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS) {
        return settled(next.run(request)).await;
    }
    match tokio::spawn(settled(next.run(request)).in_current_span()).await {
        Ok(response) => response,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => {
            tracing::error!(error = %e, "a request's task was cancelled");
            ApiError::request(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
        }
    }
}

/// The answer once the writes it rests on are durable (see [`abholbox_store::settled`]); if they were
/// lost, the error that lost them instead.
async fn settled(answer: impl std::future::Future<Output = Response>) -> Response {
    match abholbox_store::settled(answer).await {
        (response, Ok(())) => response,
        (_, Err(lost)) => ApiError::from(Error::from(lost)).into_response(),
    }
}

/// A request over the time limit answers like any error; a read is dropped, a write goes on to its
/// end ([`run_to_end`]), and so does work in flight that it started (see the service's `in_flight`).
pub(crate) async fn time_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(crate::REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::request(StatusCode::SERVICE_UNAVAILABLE, "timeout", "the request took too long; please try again")
                .into_response()
        }
    }
}

/// Refuses a URI longer than anything this API uses, before routing; longer ones than hyper takes
/// are answered by hyper and shaped on the wire (`crate::wire`).
pub(crate) async fn uri_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let len = request.uri().path().len() + request.uri().query().map_or(0, str::len);
    if len > crate::URI_LIMIT {
        return ApiError::request(StatusCode::URI_TOO_LONG, "uri_too_long", "the address is too long").into_response();
    }
    next.run(request).await
}

/// A handler that panicked answers like any internal error; the panic is logged, its text not sent.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::request(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the incident is logged")
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn body(response: Response) -> serde_json::Value {
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_over_the_time_limit_answers_in_the_error_format() {
        let app = Router::new()
            .route("/slow", get(|| tokio::time::sleep(std::time::Duration::from_secs(3600))))
            .layer(axum::middleware::from_fn(time_limit))
            .layer(axum::middleware::map_response(shape));
        let response = app.oneshot(Request::get("/slow").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body(response).await["error"]["code"], "timeout");
    }

    /// A refusal that rests on writes a failed flush lost answers with that failure, not the refusal.
    #[tokio::test]
    async fn an_answer_resting_on_lost_writes_is_not_given() {
        let refuse = || async {
            abholbox_store::wait_before_answering(async {
                Err(abholbox_store::StoreError::Database(Box::new(std::io::Error::other("disk full"))))
            });
            ApiError::request(StatusCode::CONFLICT, "duplicate_reference", "exists")
        };
        let app = Router::new()
            .route("/refuse", get(refuse).post(refuse))
            .route("/fine", get(|| async { StatusCode::NO_CONTENT }))
            .layer(axum::middleware::from_fn(run_to_end));
        for method in ["GET", "POST"] {
            let request = Request::builder().method(method).uri("/refuse").body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{method}");
            assert_eq!(body(response).await["error"]["code"], "internal");
        }
        let fine = app.oneshot(Request::get("/fine").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(fine.status(), StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn an_empty_or_plain_error_gets_the_body_and_keeps_its_headers() {
        let plain =
            (StatusCode::PAYLOAD_TOO_LARGE, [(header::RETRY_AFTER, "5")], "length limit exceeded").into_response();
        let shaped = shape(plain).await;
        assert_eq!(shaped.headers()[header::RETRY_AFTER], "5");
        assert_eq!(shaped.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(body(shaped).await["error"]["code"], "payload_too_large");
        let ours = ApiError::request(StatusCode::CONFLICT, "box_full", "full").into_response();
        assert_eq!(body(shape(ours).await).await["error"]["code"], "box_full", "our own errors pass unchanged");
        let fine = shape(StatusCode::NO_CONTENT.into_response()).await;
        assert_eq!(fine.status(), StatusCode::NO_CONTENT);
    }
}
