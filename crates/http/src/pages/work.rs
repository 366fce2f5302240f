//! The lists staff work from each morning: documents to take out (expired or called off) and
//! pickups to look at (locked, door left open, compartment did not open, hand-over unconfirmed, SMS
//! not deliverable), each with the action it needs; and a pickup found by its case reference when a
//! citizen calls about a lost SMS. What a member may do is the use case's to decide: a clerk who
//! presses a supervisor's button is told so.

use std::collections::HashMap;

use abholbox_core::ids::{BoxId, PickupId};
use abholbox_core::pickup::PickupStatus;
use abholbox_service::Error;
use abholbox_store::PickupRecord;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

/// A pickup on a list, without anything personal.
pub(crate) struct Line {
    pub id: String,
    pub reference: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub compartment: String,
    pub deadline: String,
    pub attention: Option<&'static str>,
    pub withdrawing: bool,
    /// What may be done with it here: `withdraw`, `unlock`, `reissue-pin`, `release`, `change-phone`.
    pub actions: Vec<&'static str>,
    /// The pickup's version as shown, sent back with an action: see [`act`].
    pub version: i64,
}

impl Line {
    fn of(p: &PickupRecord, labels: &HashMap<u32, String>) -> Self {
        let mut actions = Vec::new();
        let in_box = p.compartment.is_some();
        match p.status {
            PickupStatus::Expired | PickupStatus::Cancelled if in_box && p.withdrawal_started_at.is_none() => {
                actions.push("withdraw");
            }
            PickupStatus::Ready if p.locked => actions.push("unlock"),
            PickupStatus::Ready if p.claimed_by.is_some() => actions.push("release"),
            PickupStatus::Ready => actions.push("reissue-pin"),
            _ => {}
        }
        let waiting =
            matches!(p.status, PickupStatus::AwaitingDeposit | PickupStatus::Depositing | PickupStatus::Ready);
        if waiting && p.claimed_by.is_none() {
            actions.push("change-phone");
        }
        Self {
            id: p.id.to_string(),
            reference: p.reference.clone(),
            kind: p.document_kind.as_str(),
            status: p.status.as_str(),
            compartment: p
                .compartment
                .map(|c| labels.get(&c.get()).cloned().unwrap_or_else(|| c.get().to_string()))
                .unwrap_or_default(),
            deadline: p.deadline.map(|d| d.format("%d.%m.%Y").to_string()).unwrap_or_default(),
            attention: p.attention.filter(|a| a.asks_in(p.status)).map(|a| a.as_str()),
            withdrawing: p.withdrawal_started_at.is_some(),
            actions,
            version: p.version,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "staff/work.html")]
struct WorkPage {
    t: Tr,
    bar: Option<Bar>,
    box_id: String,
    box_name: String,
    to_withdraw: Vec<Line>,
    flagged: Vec<Line>,
    found: Option<Line>,
    /// Open alarms at this box or its site: id, time, kind, compartment label.
    alarms: Vec<(i64, String, String, String)>,
    searched: String,
    done: Option<String>,
    error: Option<String>,
}

impl WorkPage {
    /// Whether the member may lift locks, send new PINs and release claims (the use case checks
    /// again); a clerk is not shown what they may not do.
    fn supervises(&self) -> bool {
        self.bar.as_ref().is_some_and(|b| b.role != "clerk")
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Search {
    #[serde(default)]
    reference: String,
}

struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

async fn page(state: &AppState, t: Tr, staff: &Staff, box_id: &BoxId, searched: String, outcome: Outcome) -> Response {
    let bar = Some(staff.bar());
    let work = match state.service.box_work(&staff.principal, box_id).await {
        Ok(work) => work,
        Err(e) => return refusal(&t, bar, &e),
    };
    let overview = match state.service.box_overview(&staff.principal, box_id).await {
        Ok(o) => o,
        Err(e) => return refusal(&t, bar, &e),
    };
    let labels: HashMap<u32, String> =
        overview.compartments.iter().map(|c| (c.compartment.number.get(), c.compartment.label.clone())).collect();
    let alarms = match state.service.open_alarms(&staff.principal).await {
        Ok(alarms) => alarms,
        Err(e) => return refusal(&t, bar, &e),
    };
    let tz = state.service.time_zone_of_box(box_id).await.unwrap_or(chrono_tz::Europe::Berlin);
    let alarms = alarms
        .into_iter()
        .filter(|a| a.box_id.as_ref().map_or(a.site == overview.record.site, |b| b == box_id))
        .map(|a| {
            let label = a.compartment.map(|c| labels.get(&c.get()).cloned().unwrap_or_default()).unwrap_or_default();
            (a.id, super::bin::local(a.raised_at, tz), a.kind, label)
        })
        .collect();
    let mut error = outcome.error;
    let found = if searched.trim().is_empty() {
        None
    } else {
        match state.service.find_pickup(&staff.principal, &overview.record.site, &searched).await {
            Ok(p) => Some(Line::of(&p, &labels)),
            Err(Error::NotFound(_) | Error::Invalid { .. }) => {
                error = Some(t.t("work-not-found"));
                None
            }
            Err(e) => return refusal(&t, bar, &e),
        }
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = WorkPage {
        box_id: box_id.to_string(),
        box_name: overview.record.name,
        to_withdraw: work.to_withdraw.iter().map(|p| Line::of(p, &labels)).collect(),
        flagged: work.flagged.iter().map(|p| Line::of(p, &labels)).collect(),
        found,
        alarms,
        searched,
        done: outcome.done,
        error,
        t,
        bar,
    };
    html(status, &page)
}

pub(crate) async fn lists(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path(id): Path<String>,
    Query(search): Query<Search>,
) -> Response {
    let Ok(box_id) = BoxId::parse(&id) else { return refusal(&t, Some(staff.bar()), &Error::NotFound("box")) };
    page(&state, t, &staff, &box_id, search.reference, Outcome { done: None, error: None }).await
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    searched: String,
    #[serde(default)]
    version: String,
    /// The corrected mobile number, for `change-phone`.
    #[serde(default)]
    phone: String,
}

/// One action on one pickup: withdraw, unlock, reissue-pin, release or change-phone. An action sent for a pickup
/// that has changed since the page showed it (the same form sent twice, a page re-sent from the
/// history) is not taken: a second "new PIN" would send another SMS and void the first new PIN.
pub(crate) async fn act(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path((id, pickup, action)): Path<(String, String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let (Ok(box_id), Ok(pickup)) = (BoxId::parse(&id), PickupId::parse(&pickup)) else {
        return refusal(&t, Some(staff.bar()), &Error::NotFound("pickup"));
    };
    let who = &staff.principal;
    let service = &state.service;
    // A form without the version it was shown at (not one of ours) is taken as stale too.
    let shown = form.version.trim().parse::<i64>().ok();
    if let Ok(now) = service.pickup(&pickup).await
        && who.sees(&now.site)
        && shown != Some(now.version)
    {
        let outcome = Outcome { done: None, error: Some(t.t("work-changed-meanwhile")) };
        return page(&state, t, &staff, &box_id, form.searched, outcome).await;
    }
    let done = match action.as_str() {
        "withdraw" => service
            .start_withdrawal(who, &box_id, &pickup)
            .await
            .map(|w| t.t1("work-withdraw-opened", "compartment", &w.label)),
        "unlock" => service.unlock(who, &pickup, &form.reason).await.map(|_| t.t("work-unlocked")),
        "reissue-pin" => service.send_new_pin(who, &pickup, &form.reason).await.map(|_| t.t("work-pin-reissued")),
        "release" => service.release_claim(who, &pickup, &form.reason).await.map(|_| t.t("work-released")),
        "change-phone" => service.change_phone(who, &pickup, &form.phone, &form.reason).await.map(|p| {
            t.t(if p.status == PickupStatus::Ready { "work-phone-changed-pin" } else { "work-phone-changed" })
        }),
        _ => Err(Error::NotFound("action")),
    };
    let outcome = match done {
        Ok(message) => Outcome { done: Some(message), error: None },
        Err(e) => Outcome { done: None, error: Some(t.error(&e)) },
    };
    page(&state, t, &staff, &box_id, form.searched, outcome).await
}

#[derive(Deserialize)]
pub(crate) struct AcknowledgeForm {
    #[serde(default)]
    csrf: String,
}

/// Marks an alarm seen (supervisors); who did is recorded with it.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path((id, alarm)): Path<(String, String)>,
    Form(form): Form<AcknowledgeForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let (Ok(box_id), Ok(alarm)) = (BoxId::parse(&id), alarm.parse::<i64>()) else {
        return refusal(&t, Some(staff.bar()), &Error::NotFound("alarm"));
    };
    let outcome = match state.service.acknowledge_alarm(&staff.principal, alarm).await {
        Ok(()) => Outcome { done: Some(t.t("work-acknowledged")), error: None },
        Err(e) => Outcome { done: None, error: Some(t.error(&e)) },
    };
    page(&state, t, &staff, &box_id, String::new(), outcome).await
}
