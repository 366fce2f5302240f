use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`; `degraded` when the database does not answer; `starting` while the demo loads its
    /// waiting documents.
    status: &'static str,
}

/// Liveness and readiness for load balancers and monitoring; no token needed.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.readiness.starting() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "starting" }));
    }
    match state.service.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok" })),
        Err(e) => {
            tracing::error!(error = %e, "database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "degraded" }))
        }
    }
}
