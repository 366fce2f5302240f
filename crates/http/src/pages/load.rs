//! Loading a delivery: the clerk scans (or types) a document number, the box opens a compartment of
//! the right size, the page names it on the map and the scan field has the focus again.

use abholbox_core::ids::BoxId;
use abholbox_service::Error;
use abholbox_service::deposits::DepositTarget;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::boxes::BoxMap;
use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "staff/load.html")]
struct LoadPage {
    t: Tr,
    bar: Option<Bar>,
    map: BoxMap,
    opened: Option<String>,
    error: Option<String>,
    number: String,
    four_eyes: bool,
}

async fn page(
    state: &AppState,
    t: Tr,
    staff: &Staff,
    box_id: &BoxId,
    opened: Option<(u32, String, String)>,
    error: Option<String>,
    number: String,
) -> Response {
    let four_eyes = state.service.four_eyes_at(box_id).await.unwrap_or(false);
    match state.service.box_overview(&staff.principal, box_id).await {
        Ok(overview) => {
            let map = BoxMap::of(overview, opened.as_ref().map(|(n, _, _)| *n));
            let opened = opened.map(|(_, label, reference)| {
                t.with("load-opened", &[("compartment", &label), ("reference", &reference)])
            });
            let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            html(status, &LoadPage { t, bar: Some(staff.bar()), map, opened, error, number, four_eyes })
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}

pub(crate) async fn form(State(state): State<AppState>, t: Tr, staff: Staff, Path(id): Path<String>) -> Response {
    let Ok(box_id) = BoxId::parse(&id) else { return refusal(&t, Some(staff.bar()), &Error::NotFound("box")) };
    page(&state, t, &staff, &box_id, None, None, String::new()).await
}

#[derive(Deserialize)]
pub(crate) struct LoadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    witness: String,
    #[serde(default)]
    witness_password: String,
}

pub(crate) async fn load(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<LoadForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let Ok(box_id) = BoxId::parse(&id) else { return refusal(&t, Some(staff.bar()), &Error::NotFound("box")) };
    let witness = if form.witness.trim().is_empty() {
        None
    } else {
        match state.service.sign_in(&form.witness, &form.witness_password).await {
            Ok(w) => Some(w),
            Err(Error::SignInRefused | Error::SignInCoolingDown { .. }) => {
                let error = Some(t.error(&Error::SecondPersonNeeded));
                return page(&state, t, &staff, &box_id, None, error, form.number).await;
            }
            Err(e) => return refusal(&t, Some(staff.bar()), &e),
        }
    };
    let target = DepositTarget::Scanned(form.number.clone());
    match state.service.start_confirmed_deposit(&staff.principal, &box_id, target, witness.as_ref()).await {
        Ok(started) => {
            let opened = (started.compartment.get(), started.label, started.reference);
            page(&state, t, &staff, &box_id, Some(opened), None, String::new()).await
        }
        Err(e @ (Error::Forbidden | Error::NotFound("box"))) => refusal(&t, Some(staff.bar()), &e),
        Err(Error::Invalid { field: "document_number", .. }) => {
            let error = Some(t.t("load-bad-number"));
            page(&state, t, &staff, &box_id, None, error, form.number).await
        }
        Err(e) => {
            let error = Some(t.error(&e));
            page(&state, t, &staff, &box_id, None, error, form.number).await
        }
    }
}
