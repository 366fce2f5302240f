//! The demo's companion page at `/sim`: the simulated box drawn as it stands, doors opening and
//! closing live (a click closes an open door), the slot with the demo's specimen old documents to
//! insert, a fault switch per compartment, the phone's SMS inbox, and the documents waiting with
//! what a visitor needs to collect each. Only served where the simulator runs; it acts through the
//! simulator's own API, as a test or a script would.

use std::sync::{Arc, RwLock};

use abholbox_core::ids::BoxId;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::pages::{Tr, html};

/// A document the demo has waiting, with everything a visitor needs to collect it.
#[derive(Debug, Clone, Serialize)]
pub struct DemoVisitor {
    /// The pickup's id, so that the page shows whether it is still waiting.
    pub pickup: String,
    pub who: String,
    /// `id_card`, `passport`, `child_passport` or `residence_permit`.
    pub document_kind: String,
    pub phone: String,
    pub pin: String,
    pub old_document: Option<String>,
    /// The old document's machine-readable zone, as the slot's reader sends it.
    pub old_document_zone: Option<String>,
    /// `DD.MM.YYYY`, where the birth date is the third factor.
    pub birth_date: Option<String>,
}

/// What the simulator page shows about the demo: its waiting documents and a stranger's ID card
/// (one that belongs to no pickup), filled by the demo once it has loaded them.
#[derive(Clone, Default)]
pub struct SimGuide {
    inner: Arc<RwLock<(Vec<DemoVisitor>, Option<String>)>>,
}

impl SimGuide {
    pub fn set(&self, visitors: Vec<DemoVisitor>, stranger_zone: Option<String>) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = (visitors, stranger_zone);
        }
    }

    fn get(&self) -> (Vec<DemoVisitor>, Option<String>) {
        self.inner.read().map(|i| i.clone()).unwrap_or_default()
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim", get(page))
        .route("/sim/boxes/{box}/occupied", get(occupied))
        .route("/sim/assets/{file}", get(serve_asset))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::pages::PAGE_POLICY),
        ))
}

/// A module of the box as drawn: its cells row by row from the top.
pub(crate) struct DrawnModule {
    pub name: String,
    pub columns: u32,
    pub cells: Vec<DrawnCell>,
}

pub(crate) struct DrawnCell {
    pub number: u32,
    pub label: String,
    pub occupied: bool,
}

#[derive(askama::Template)]
#[template(path = "sim/page.html")]
pub(crate) struct SimPage {
    pub t: Tr,
    pub box_id: String,
    pub modules: Vec<DrawnModule>,
    pub visitors: Vec<ShownVisitor>,
    pub stranger_zone: Option<String>,
}

/// A demo document as listed: still waiting in the box, or why not (the message key).
pub(crate) struct ShownVisitor {
    pub v: DemoVisitor,
    pub not_waiting: Option<&'static str>,
}

/// Why a demo document cannot be collected at the panel now, as the page says it; `None` while it can.
fn not_waiting(pickup: Option<&abholbox_store::PickupRecord>, blocked: &[u32]) -> Option<&'static str> {
    use abholbox_core::pickup::PickupStatus as S;
    let [gone, locked, collected, withdrawn, ended_in_box, not_loaded, in_blocked] = NOT_WAITING;
    let Some(p) = pickup else { return Some(gone) };
    match p.status {
        S::Ready if p.locked => Some(locked),
        S::Ready if p.compartment.is_some_and(|c| blocked.contains(&c.get())) => Some(in_blocked),
        S::Ready => None,
        S::Collected => Some(collected),
        S::Withdrawn => Some(withdrawn),
        S::Expired | S::Cancelled => Some(ended_in_box),
        S::AwaitingDeposit | S::Depositing => Some(not_loaded),
    }
}

/// The message keys of [`not_waiting`]'s answers.
const NOT_WAITING: [&str; 7] =
    ["sim-gone", "sim-locked", "sim-collected", "sim-withdrawn", "sim-ended-in-box", "sim-not-loaded", "sim-blocked"];

impl SimPage {
    pub fn kind(&self, kind: &str) -> String {
        self.t.tk("sim-kind-", kind)
    }
}

fn simulated_box(state: &AppState) -> Option<BoxId> {
    let simulator = state.simulator.as_ref()?;
    let mut boxes: Vec<&BoxId> = simulator.boxes.keys().collect();
    boxes.sort();
    boxes.first().map(|b| (*b).clone())
}

async fn page(State(state): State<AppState>, t: Tr) -> Response {
    let Some(box_id) = simulated_box(&state) else { return StatusCode::NOT_FOUND.into_response() };
    let compartments = match state.service.store().compartments(&box_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the simulator page could not read the box");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let blocked: Vec<u32> = compartments
        .iter()
        .filter(|c| c.state == abholbox_core::compartment::CompartmentState::Defective)
        .map(|c| c.number.get())
        .collect();
    let mut modules: Vec<DrawnModule> = Vec::new();
    for c in compartments {
        let cell = DrawnCell { number: c.number.get(), label: c.label, occupied: c.pickup.is_some() };
        match modules.iter_mut().find(|m| m.name == c.module) {
            Some(m) => {
                m.columns = m.columns.max(c.column);
                m.cells.push(cell);
            }
            None => modules.push(DrawnModule { name: c.module, columns: c.column, cells: vec![cell] }),
        }
    }
    let (guide, stranger_zone) = state.sim_guide.get();
    let mut visitors = Vec::new();
    for v in guide {
        let id = abholbox_core::ids::PickupId::parse(&v.pickup).ok();
        let pickup = match id {
            Some(id) => state.service.store().pickup(&id).await.ok().flatten(),
            None => None,
        };
        visitors.push(ShownVisitor { v, not_waiting: not_waiting(pickup.as_ref(), &blocked) });
    }
    html(StatusCode::OK, &SimPage { t, box_id: box_id.to_string(), modules, visitors, stranger_zone })
}

/// The compartments that hold a document now, for the page to mark without reloading.
async fn occupied(State(state): State<AppState>, Path(box_id): Path<String>) -> Response {
    let Some(simulated) = simulated_box(&state).filter(|b| b.as_str() == box_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.service.store().compartments(&simulated).await {
        Ok(c) => {
            Json(c.iter().filter(|c| c.pickup.is_some()).map(|c| c.number.get()).collect::<Vec<_>>()).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "the simulator page could not read the box");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn serve_asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    if state.simulator.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    crate::pages::asset(
        &file,
        &[("sim.css", include_str!("../../assets/sim.css")), ("sim.js", include_str!("../../assets/sim.js"))],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use abholbox_messages::staff::{StaffLanguage, StaffTexts};

    #[test]
    fn every_reason_a_document_is_not_waiting_has_its_text() {
        let texts = StaffTexts::load().unwrap();
        for lang in StaffLanguage::ALL {
            for key in super::NOT_WAITING {
                assert_ne!(texts.text(lang, key, &[]), key, "{key} in {lang:?}");
            }
        }
    }
}
