//! Requests per client address over time: one client sending without pause is answered
//! `429 too_many_requests` before its requests reach a use case, and others are not held up.
//! The connection limits of [`crate::serve`] bound what a client holds at once; this bounds its rate.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// How often addresses that have gone quiet are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Limits every client address to `per_second` requests a second, with bursts of twice that; 0
/// means no limit. Must be called within a Tokio runtime (it forgets quiet addresses in the background).
pub(crate) fn limit_requests(router: Router, per_second: u32) -> Router {
    let Some(rate) = NonZeroU32::new(per_second) else { return router };
    let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
    let limiter: Arc<Limiter> = Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)));
    let quiet = Arc::downgrade(&limiter);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(FORGET_EVERY).await;
            let Some(limiter) = quiet.upgrade() else { return };
            limiter.retain_recent();
        }
    });
    router.layer(axum::middleware::from_fn_with_state(limiter, check))
}

/// Where a gateway reports on many messages from one address at once (the morning after the quiet
/// hours): each call carries its message's own token, and a report refused here would be lost.
const GATEWAY_REPORTS: &str = "/api/v1/sms/reports/";

async fn check(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(GATEWAY_REPORTS) {
        return next.run(request).await;
    }
    let client = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = client
        && limiter.check_key(&ip).is_err()
    {
        return ApiError::request(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many requests from this address; slow down",
        )
        .into_response();
    }
    next.run(request).await
}
