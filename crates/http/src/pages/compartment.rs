//! One compartment, opened by a click on the box map: where it is, what it holds (reference and
//! status, nothing personal), its door's recent history and open alarms; a supervisor opens it for
//! service with a reason, or puts it back into use after a look.

use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_service::Error;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::bin::local;
use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

pub(crate) struct Move {
    pub at: String,
    pub door: &'static str,
    pub item_inside: Option<bool>,
}

#[derive(askama::Template)]
#[template(path = "staff/compartment.html")]
struct CompartmentPage {
    t: Tr,
    bar: Option<Bar>,
    box_id: String,
    number: u32,
    label: String,
    place: String,
    size: &'static str,
    within_reach: bool,
    look: &'static str,
    defect: Option<&'static str>,
    pickup: Option<(String, &'static str)>,
    moves: Vec<Move>,
    alarms: Vec<(String, String)>,
    four_eyes: bool,
    done: Option<String>,
    error: Option<String>,
}

fn target(id: &str, number: &str) -> Option<(BoxId, CompartmentNo)> {
    let c = number.parse::<u32>().ok().and_then(CompartmentNo::new)?;
    Some((BoxId::parse(id).ok()?, c))
}

async fn page(
    state: &AppState,
    t: Tr,
    staff: &Staff,
    box_id: &BoxId,
    c: CompartmentNo,
    done: Option<String>,
    error: Option<String>,
) -> Response {
    let bar = Some(staff.bar());
    let found = async {
        Ok::<_, Error>((
            state.service.compartment_detail(&staff.principal, box_id, c).await?,
            state.service.time_zone_of_box(box_id).await?,
        ))
    }
    .await;
    let (detail, tz) = match found {
        Ok(found) => found,
        Err(e) => return refusal(&t, bar, &e),
    };
    let record = &detail.view.compartment;
    let page = CompartmentPage {
        box_id: box_id.to_string(),
        number: c.get(),
        label: record.label.clone(),
        place: t.t1("compartment-place", "module", &record.module)
            + &format!(", {} {}, {} {}", t.t("compartment-row"), record.row, t.t("compartment-column"), record.column),
        size: record.size.as_str(),
        within_reach: record.within_reach,
        look: detail.view.look.as_str(),
        defect: record.defect.map(|d| d.as_str()),
        pickup: detail.view.pickup.map(|(_, reference)| reference).zip(detail.status.map(|s| s.as_str())),
        moves: detail
            .history
            .iter()
            .map(|e| Move { at: local(e.at, tz), door: e.door.as_str(), item_inside: e.item_inside })
            .collect(),
        alarms: detail.alarms.iter().map(|a| (local(a.raised_at, tz), a.kind.clone())).collect(),
        four_eyes: detail.four_eyes,
        done,
        error,
        t,
        bar,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    html(status, &page)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path((id, number)): Path<(String, String)>,
) -> Response {
    let Some((box_id, c)) = target(&id, &number) else {
        return refusal(&t, Some(staff.bar()), &Error::NotFound("compartment"));
    };
    page(&state, t, &staff, &box_id, c, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    witness: String,
    #[serde(default)]
    witness_password: String,
}

/// `open` (for service) or `return` (to service).
pub(crate) async fn act(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path((id, number, action)): Path<(String, String, String)>,
    Form(form): Form<ServiceForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let Some((box_id, c)) = target(&id, &number) else {
        return refusal(&t, Some(staff.bar()), &Error::NotFound("compartment"));
    };
    let done = async {
        match action.as_str() {
            "open" => {
                let witness = if form.witness.trim().is_empty() {
                    None
                } else {
                    match state.service.sign_in(&form.witness, &form.witness_password).await {
                        Ok(w) => Some(w),
                        Err(Error::SignInRefused | Error::SignInCoolingDown { .. }) => {
                            return Err(Error::SecondPersonNeeded);
                        }
                        Err(e) => return Err(e),
                    }
                };
                let label = state
                    .service
                    .open_for_service(&staff.principal, &box_id, c, &form.reason, witness.as_ref())
                    .await?;
                Ok(t.t1("compartment-opened", "compartment", &label))
            }
            "return" => {
                state.service.return_to_service(&staff.principal, &box_id, c, &form.reason).await?;
                Ok(t.t("compartment-returned"))
            }
            _ => Err(Error::NotFound("action")),
        }
    }
    .await;
    let (done, error) = match done {
        Ok(message) => (Some(message), None),
        Err(e) => (None, Some(t.error(&e))),
    };
    page(&state, t, &staff, &box_id, c, done, error).await
}
