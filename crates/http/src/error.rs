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

/// The status of each outcome.
fn status(e: &Error) -> StatusCode {
    match e {
        Error::Invalid { .. } | Error::Unknown { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::DuplicateReference | Error::DuplicateDocumentNumber => StatusCode::CONFLICT,
        Error::Transition(TransitionError::Locked) | Error::Locked => StatusCode::LOCKED,
        Error::Transition(_) | Error::WrongSite | Error::WrongBox | Error::Allocation(_) | Error::NotAvailable => {
            StatusCode::CONFLICT
        }
        Error::Step(abholbox_core::kiosk::StepError::WrongStep { .. }) => StatusCode::CONFLICT,
        Error::Step(abholbox_core::kiosk::StepError::Over) | Error::SessionOver(_) => StatusCode::GONE,
        Error::PhoneOrPinWrong | Error::BirthDateWrong | Error::OldDocumentRefused { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Error::Box(_) | Error::NoDriver => StatusCode::SERVICE_UNAVAILABLE,
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Contention => StatusCode::CONFLICT,
        Error::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
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
        response
    }
}

/// A handler that panicked answers like any internal error; the panic is logged, its text not sent.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::request(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the incident is logged")
        .into_response()
}
