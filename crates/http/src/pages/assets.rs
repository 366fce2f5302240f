//! The stylesheet and script, embedded in the binary: running the product needs no file beside it
//! and no build step.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "staff.css" => (include_str!("../../assets/staff.css"), "text/css; charset=utf-8"),
        "staff.js" => (include_str!("../../assets/staff.js"), "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}
