//! A query-string extractor whose refusals speak our error format.

use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::extract::Query`, but a parameter that does not read (a word where a number belongs,
/// a parameter given twice) answers a 422 `invalid_request` that names it, as a wrong body field
/// does, instead of a plain 400 that says only "Bad Request".
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                let reason = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
                Err(ApiError::request(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    format!("the query does not read: {}", crate::json::without_value(reason)),
                ))
            }
        }
    }
}
