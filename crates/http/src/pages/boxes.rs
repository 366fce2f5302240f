//! The boxes a member works with, and one box with every compartment coloured by its look.

use abholbox_core::ids::BoxId;
use abholbox_core::overview::Look;
use abholbox_service::overview::BoxOverview;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

/// A box in the list of boxes.
pub(crate) struct BoxLine {
    pub id: String,
    pub name: String,
    pub site: String,
    pub compartments: u32,
    pub free: u32,
    pub defective: u32,
}

#[derive(askama::Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    t: Tr,
    bar: Option<Bar>,
    boxes: Vec<BoxLine>,
}

pub(crate) async fn home(State(state): State<AppState>, t: Tr, staff: Staff) -> Response {
    match state.service.boxes_seen_by(&staff.principal).await {
        Ok(boxes) => {
            let boxes = boxes
                .into_iter()
                .map(|b| BoxLine {
                    id: b.record.id.to_string(),
                    name: b.record.name,
                    site: b.record.site.to_string(),
                    compartments: b.compartments,
                    free: b.free,
                    defective: b.defective,
                })
                .collect();
            html(StatusCode::OK, &HomePage { t, bar: Some(staff.bar()), boxes })
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}

/// One compartment on the map.
pub(crate) struct Cell {
    pub number: u32,
    pub label: String,
    pub look: &'static str,
    pub row: u32,
    pub column: u32,
    pub reach: bool,
    pub highlight: bool,
}

/// One module of the box: a column of the map.
pub(crate) struct Module {
    pub name: String,
    pub cells: Vec<Cell>,
}

/// The map and counts of a box, shared by the box view and the loading page.
pub(crate) struct BoxMap {
    pub id: String,
    pub name: String,
    pub modules: Vec<Module>,
    pub counts: Vec<(&'static str, usize)>,
    pub total: usize,
}

impl BoxMap {
    pub(crate) fn of(overview: BoxOverview, highlight: Option<u32>) -> Self {
        let mut modules: Vec<Module> = Vec::new();
        for c in overview.compartments {
            let cell = Cell {
                number: c.compartment.number.get(),
                label: c.compartment.label.clone(),
                look: c.look.as_str(),
                row: c.compartment.row,
                column: c.compartment.column,
                reach: c.compartment.within_reach,
                highlight: highlight == Some(c.compartment.number.get()),
            };
            match modules.last_mut() {
                Some(m) if m.name == c.compartment.module => m.cells.push(cell),
                _ => modules.push(Module { name: c.compartment.module.clone(), cells: vec![cell] }),
            }
        }
        let counts = Look::ALL.iter().map(|l| (l.as_str(), overview.counts.get(l).copied().unwrap_or(0))).collect();
        Self {
            id: overview.record.id.to_string(),
            name: overview.record.name,
            total: modules.iter().map(|m| m.cells.len()).sum(),
            modules,
            counts,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "staff/box.html")]
struct BoxPage {
    t: Tr,
    bar: Option<Bar>,
    map: BoxMap,
}

pub(crate) async fn box_view(State(state): State<AppState>, t: Tr, staff: Staff, Path(id): Path<String>) -> Response {
    let Ok(box_id) = BoxId::parse(&id) else {
        return refusal(&t, Some(staff.bar()), &abholbox_service::Error::NotFound("box"));
    };
    match state.service.box_overview(&staff.principal, &box_id).await {
        Ok(overview) => html(StatusCode::OK, &BoxPage { t, bar: Some(staff.bar()), map: BoxMap::of(overview, None) }),
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}
