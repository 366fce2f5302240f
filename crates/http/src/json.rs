//! A JSON extractor whose refusals speak our error format.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but a malformed body answers `{"error": …}` with a stable code.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let body = match Bytes::from_request(req, state).await {
            Ok(body) => body,
            // A body sent in chunks meets the 64 KiB limit only while it is read, not when announced:
            // the same refusal as one whose length said so at once.
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let (code, message) = crate::error::for_status(413, "Payload Too Large");
                return Err(ApiError::request(StatusCode::PAYLOAD_TOO_LARGE, code, message));
            }
            Err(rejection) => return Err(ApiError::request(rejection.status(), "invalid_body", rejection.body_text())),
        };
        parse_object(&body).map(Self)
    }
}

/// The refusal of a body that does not say it is JSON.
pub(crate) fn not_json() -> ApiError {
    ApiError::request(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Expected request with `Content-Type: application/json`",
    )
}

/// Whether the request says its body is JSON (`application/json`, or a `+json` type).
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a request body that must be one JSON object: every body the API takes is one. Not JSON at
/// all is a 400; JSON of another shape (an array, which serde would read as a struct's fields in
/// order, or a field of the wrong type) a 422 that names the field.
pub(crate) fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let refused = match axum::Json::<T>::from_bytes(body) {
        Ok(axum::Json(v)) if is_object => return Ok(v),
        Ok(_) => None,
        Err(rejection) => Some(rejection),
    };
    // Refused, or not an object: tell a body that is no JSON at all from JSON of another shape, which
    // serde may also call a syntax error (an array one element too long for the struct it reads).
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(ApiError::request(StatusCode::BAD_REQUEST, "invalid_json", without_value(&e.to_string())));
    }
    let message = match refused {
        Some(JsonRejection::JsonDataError(e)) if is_object => e.body_text(),
        Some(other) if is_object => other.body_text(),
        _ => "the body must be a JSON object".to_owned(),
    };
    Err(ApiError::request(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", without_value(&message)))
}

/// serde names a value of the wrong type in its message ("invalid type: integer `4915123456701`,
/// expected a string"); a phone number or PIN sent as a number would come back in the answer and in
/// client logs. The value is left out; field names stay.
pub(crate) fn without_value(message: &str) -> String {
    for marker in ["invalid type: ", "invalid value: "] {
        let Some(at) = message.find(marker) else { continue };
        let rest = at + marker.len();
        let tail = message.get(rest..).unwrap_or_default();
        let Some((open, quote)) =
            tail.char_indices().take_while(|(_, c)| *c != ',').find(|(_, c)| *c == '`' || *c == '"')
        else {
            continue;
        };
        // The value ends with the last delimiter before ", expected" (a string may hold the delimiter).
        let value_end = tail.find(", expected").unwrap_or(tail.len());
        let Some(close) = tail.get(open + 1..value_end).and_then(|r| r.rfind(quote)).map(|c| open + 1 + c) else {
            continue;
        };
        let start = if tail.get(..open).is_some_and(|m| m.ends_with(' ')) { open - 1 } else { open };
        return format!(
            "{}{}{}",
            message.get(..rest).unwrap_or_default(),
            tail.get(..start).unwrap_or_default(),
            tail.get(close + 1..).unwrap_or_default()
        );
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::without_value;

    #[test]
    fn a_value_of_the_wrong_type_is_not_echoed() {
        assert_eq!(
            without_value("phone: invalid type: integer `4915123456701`, expected a string at line 1 column 20"),
            "phone: invalid type: integer, expected a string at line 1 column 20"
        );
        assert_eq!(
            without_value("pin: invalid type: string \"0151 234\", expected u32 at line 1"),
            "pin: invalid type: string, expected u32 at line 1"
        );
        assert_eq!(without_value("missing field `phone`"), "missing field `phone`", "field names stay");
        assert_eq!(
            without_value("invalid value: integer `7`, expected one of `a`, `b`"),
            "invalid value: integer, expected one of `a`, `b`"
        );
    }
}
