//! The stylesheet and script, embedded in the binary: running the product needs no file beside it
//! and no build step.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    respond(
        &file,
        &[("staff.css", include_str!("../../assets/staff.css")), ("staff.js", include_str!("../../assets/staff.js"))],
    )
}

/// One of a page set's embedded files by name, typed by its extension; anything else is not found.
/// The staff app, the kiosk panel and the simulator page each serve theirs through it.
pub(crate) fn respond(file: &str, files: &[(&str, &'static str)]) -> Response {
    let Some((name, body)) = files.iter().find(|(name, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let kind = if name.ends_with(".css") { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
    ([(header::CONTENT_TYPE, kind)], *body).into_response()
}
