//! The OpenAPI document, generated from the handlers so it cannot drift from them.

use std::sync::Arc;

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

pub(crate) fn finish(mut spec: OpenApi) -> OpenApi {
    spec.info = InfoBuilder::new()
        .title("abholbox")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Self-service pickup boxes for passports and ID cards. The registry software registers \
             pickups and loads boxes with an integration token; each kiosk panel walks citizens through \
             phone number, PIN and third factor with a token bound to its box.",
        ))
        .build();
    let components = spec.components.get_or_insert_with(Default::default);
    components
        .add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    spec
}

pub(crate) async fn serve(spec: Arc<OpenApi>) -> impl IntoResponse {
    Json(spec.as_ref().clone())
}
