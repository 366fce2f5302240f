//! The HTTP API: JSON under `/api/v1`, described at `/api/openapi.json`.
//!
//! This layer only translates. A handler extracts the caller and the body, parses raw fields into
//! domain values (a bad field becomes a 422 naming it), calls one use case, and maps the outcome to
//! JSON. It holds no rules and no SQL. Errors leave as `{"error": {"code", "message"}}` with a stable
//! code; internal causes are logged, never sent.

mod auth;
mod error;
mod json;
mod kiosk_pages;
mod openapi;
mod pages;
mod query;
mod rate;
mod routes;
mod same_origin;
mod serve;
mod sim_page;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use abholbox_box::SimulatedBox;
use abholbox_core::ids::BoxId;
use abholbox_service::Service;
use abholbox_sms::DemoGateway;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorBody};
pub use kiosk_pages::PanelPairing;
#[cfg(feature = "fuzzing")]
pub use routes::fuzz_request_bodies;
pub use serve::{ConnectionLimits, TlsError, serve, tls_acceptor};
pub use sim_page::{DemoVisitor, SimGuide};
pub use tokio_rustls::TlsAcceptor;

/// The simulator's control side, present only when boxes run on the simulated driver. Cheap to
/// clone, as axum clones the state for every request: the boxes are shared, not copied (a city's
/// fifty simulated boxes copied per request were a fifth of the bench's extra cost on a full
/// database).
#[derive(Clone, Default)]
pub struct Simulator {
    pub boxes: Arc<HashMap<BoxId, Arc<SimulatedBox>>>,
    pub sms: Option<Arc<DemoGateway>>,
}

/// What the simulator's control routes reach: the simulated boxes, and the service (when there is
/// one) to find a panel's slot by its token.
#[derive(Clone)]
pub struct SimState {
    pub simulator: Option<Simulator>,
    pub service: Option<Service>,
}

impl axum::extract::FromRef<AppState> for SimState {
    fn from_ref(state: &AppState) -> Self {
        Self { simulator: state.simulator.clone(), service: Some(state.service.clone()) }
    }
}

/// The simulator's control routes alone, for a simulator running as its own process
/// (`abholbox sim serial --control-port N`): the same paths and bodies as on the server.
pub fn simulator_router(simulator: Simulator) -> Router {
    let (routes, _) = routes::simulator().split_for_parts();
    routes
        .fallback(routes::not_found)
        .with_state(SimState { simulator: Some(simulator), service: None })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(error::shape))
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub simulator: Option<Simulator>,
    pages: pages::Pages,
    /// The pairing codes this server honours for its panels' pages (the demo's link).
    pub pairing: PanelPairing,
    /// What the simulator page tells a visitor about the demo's waiting documents.
    pub sim_guide: SimGuide,
    /// Whether the server still prepares itself (the demo its waiting documents): `/healthz` says
    /// so, and scripts that wait for it find the demo as it prints itself.
    pub readiness: Readiness,
    /// `/metrics` gives the time inside write transactions to the microsecond, not in whole seconds
    /// (`[http] exact_write_time`, for load tests only).
    pub exact_write_time: bool,
}

/// A flag that holds `/healthz` at `starting` until whoever set it says the server is ready.
#[derive(Clone, Default)]
pub struct Readiness(Arc<std::sync::atomic::AtomicBool>);

impl Readiness {
    pub fn hold(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn release(&self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }

    fn starting(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl AppState {
    /// The state of a server; `tls` says whether it answers over TLS, so that the staff app's
    /// cookies are marked to travel only so.
    pub fn new(
        service: Service,
        simulator: Option<Simulator>,
        tls: bool,
    ) -> Result<Self, abholbox_messages::MessagesError> {
        Ok(Self {
            service,
            simulator,
            pages: pages::Pages::new(tls)?,
            pairing: PanelPairing::default(),
            sim_guide: SimGuide::default(),
            readiness: Readiness::default(),
            exact_write_time: false,
        })
    }
}

/// Request bodies are small JSON documents; anything larger is refused before it is read, and a body
/// announced larger is refused at once, without waiting for it.
const BODY_LIMIT: usize = 64 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Path and query together; no address of this API comes near it.
const URI_LIMIT: usize = 8 * 1024;

/// Builds the whole HTTP application, with a request rate per client address (0: none).
pub fn router(state: AppState, requests_per_second_per_client: u32) -> Router {
    // A browser that reached this server over TLS keeps to TLS for a year (not sent over plain HTTP,
    // where a proxy in front terminates TLS and sets its own).
    let over_tls = state.pages.secure_cookies;
    let strict_transport = move |_: &Response| over_tls.then(|| HeaderValue::from_static("max-age=31536000"));
    let (api, spec) = routes::api(state.simulator.is_some()).split_for_parts();
    let spec = Arc::new(openapi::finish(spec));
    let api = api
        .route("/api/openapi.json", axum::routing::get(move || openapi::serve(spec.clone())))
        .merge(pages::router())
        .merge(kiosk_pages::router())
        .merge(sim_page::router())
        .fallback(routes::not_found)
        .with_state(state.clone());
    // Inside the layers below, so that a refused request gets the same headers as any answer.
    rate::limit_requests(api, requests_per_second_per_client)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::run_to_end))
        .layer(axum::middleware::from_fn(error::time_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::uri_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), kiosk_pages::error_screens))
        .layer(axum::middleware::from_fn_with_state(state, pages::error_pages))
        .layer(axum::middleware::map_response(error::shape))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // Answers are JSON: nothing in them may load, run or be framed, and no address leaks onward.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, strict_transport))
        // An answer of 5xx is logged as a warning: a box out of order answers 503 for as long as it
        // is, which is no incident of this server; internal errors are logged at ERROR where they arise.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
}

/// The span of a request names its method and path, never its query string: a query may carry what
/// a careless client put there (a phone number, a PIN), and logs must never hold it.
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}
