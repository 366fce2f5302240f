//! Posts to the pages only from the pages themselves.
//!
//! The pages' cookies (a staff member's session, a panel's pairing) are SameSite=Strict, which another
//! site cannot ride; another origin of the same site (a second service under the same domain) could,
//! and could plant a cookie of its own before posting a form (a sign-in under the attacker's account).
//! A post whose browser says it came from elsewhere is refused.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub(crate) async fn posts(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST {
        let headers = request.headers();
        // A browser sends each once; a second copy (added on the way) could hide a foreign first.
        let once = |name| headers.get_all(name).iter().count() <= 1;
        if !(once(header::ORIGIN.as_str()) && once("sec-fetch-site")) {
            tracing::warn!(path = request.uri().path(), "a post with its origin headers twice was refused");
            return axum::http::StatusCode::FORBIDDEN.into_response();
        }
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        // `Sec-Fetch-Site` is set by the browser alone and says it outright; `Origin` only where it is
        // missing (an older browser). A form posted from a page served with `Referrer-Policy:
        // no-referrer`, as ours are, carries `Origin: null`, which tells nothing.
        let foreign = match (fetch_site, origin) {
            (Some(site), _) => site != "same-origin" && site != "none",
            (None, Some("null") | None) => false,
            (None, Some(o)) => host.is_none_or(|h| o.split_once("://").map(|(_, rest)| rest) != Some(h)),
        };
        if foreign {
            tracing::warn!(path = request.uri().path(), "a post to the pages from another origin was refused");
            return axum::http::StatusCode::FORBIDDEN.into_response();
        }
    }
    next.run(request).await
}
