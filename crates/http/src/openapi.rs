//! The OpenAPI document, generated from the handlers so it cannot drift from them.
//!
//! The handlers list the outcomes of their own use case; the answers every operation shares (a token
//! missing or of the wrong role, a body that is not JSON or too large, the time limit, an internal
//! error) are added here once, so the document lists every status each path can answer, and every
//! answer has a description, as the specification requires.

use std::sync::Arc;

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

pub(crate) fn finish(mut spec: OpenApi) -> OpenApi {
    spec.info = InfoBuilder::new()
        .title("abholbox")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Self-service pickup boxes for passports and ID cards. The registry software registers \
             pickups, loads boxes, cancels and withdraws with an integration token; each kiosk panel walks \
             citizens through phone number, PIN and third factor with a token bound to its panel. Every \
             error answers `{\"error\": {\"code\", \"message\"}}`; clients branch on `code`.",
        ))
        .build();
    let components = spec.components.get_or_insert_with(Default::default);
    components
        .add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    for item in spec.paths.paths.values_mut() {
        for operation in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            complete(operation);
        }
    }
    spec
}

/// Adds the shared answers an operation can give and fills in missing descriptions.
fn complete(operation: &mut Operation) {
    let with_token = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let with_body = operation.request_body.is_some();
    let mut shared: Vec<(&str, &str)> = Vec::new();
    if with_token {
        shared.push(("401", "`unauthorized`: the bearer token is missing, unknown or revoked"));
        shared.push(("403", "`forbidden`: this token's role may not do this"));
    }
    if with_body {
        shared.push(("400", "`invalid_json`: the body is not JSON"));
        shared.push(("413", "`payload_too_large`: the body is over 64 KiB, refused as soon as it is announced (sent in chunks: as soon as it reaches that)"));
        shared.push(("415", "`unsupported_media_type`: the body is not `application/json`"));
        shared.push(("422", "`invalid_request`: a field is missing, unknown or of the wrong type"));
    }
    shared.push(("414", "`uri_too_long`"));
    shared.push(("500", "`internal`: logged on the server, never explained here"));
    shared.push(("503", "`timeout`: the request took longer than 15 s"));
    for (status, description) in shared {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
    }
    for (status, response) in &mut operation.responses.responses {
        if let RefOr::T(r) = response
            && r.description.is_empty()
        {
            r.description = default_description(status).to_owned();
        }
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "404" => "`not_found`",
        "409" => "A conflict with the state of things; see `code`",
        "503" => "Unavailable; see `code`",
        _ => "See `code`",
    }
}

pub(crate) async fn serve(spec: Arc<OpenApi>) -> impl IntoResponse {
    Json(spec.as_ref().clone())
}
