//! The old-document bin: what the slot took in since the last emptying, the emptying itself (two
//! staff members, the second countersigning with their own sign-in, and the number they counted),
//! and the destruction record as a page to print and as PDF.

use abholbox_core::ids::BoxId;
use abholbox_service::Error;
use abholbox_service::bin::DestructionRecord;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

/// A time as the site's staff read it.
pub(crate) fn local(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

pub(crate) struct DocumentLine {
    pub taken_at: String,
    pub number: String,
}

pub(crate) struct EmptyingLine {
    pub id: i64,
    pub at: String,
    pub counted: u32,
    pub expected: u32,
}

#[derive(askama::Template)]
#[template(path = "staff/bin.html")]
struct BinPage {
    t: Tr,
    bar: Option<Bar>,
    box_id: String,
    documents: Vec<DocumentLine>,
    emptyings: Vec<EmptyingLine>,
    error: Option<String>,
}

async fn page(state: &AppState, t: Tr, staff: &Staff, box_id: &BoxId, error: Option<String>) -> Response {
    let bar = Some(staff.bar());
    let (documents, emptyings, tz) = match async {
        let documents = state.service.bin(&staff.principal, box_id).await?;
        let emptyings = state.service.bin_emptyings(&staff.principal, box_id).await?;
        let tz = state.service.time_zone_of_box(box_id).await?;
        Ok::<_, Error>((documents, emptyings, tz))
    }
    .await
    {
        Ok(found) => found,
        Err(e) => return refusal(&t, bar, &e),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = BinPage {
        box_id: box_id.to_string(),
        documents: documents
            .into_iter()
            .map(|d| DocumentLine { taken_at: local(d.taken_at, tz), number: d.number })
            .collect(),
        emptyings: emptyings
            .into_iter()
            .map(|e| EmptyingLine { id: e.id, at: local(e.emptied_at, tz), counted: e.counted, expected: e.expected })
            .collect(),
        error,
        t,
        bar,
    };
    html(status, &page)
}

pub(crate) async fn show(State(state): State<AppState>, t: Tr, staff: Staff, Path(id): Path<String>) -> Response {
    let Ok(box_id) = BoxId::parse(&id) else { return refusal(&t, Some(staff.bar()), &Error::NotFound("box")) };
    page(&state, t, &staff, &box_id, None).await
}

#[derive(Deserialize)]
pub(crate) struct EmptyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    counted: String,
    #[serde(default)]
    witness: String,
    #[serde(default)]
    witness_password: String,
    /// The newest emptying the page showed (0: none): a form sent again after it was recorded (a
    /// second click, a page re-sent from the history) would record an emptying of an empty bin.
    #[serde(default)]
    after: String,
}

pub(crate) async fn empty(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<EmptyForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let Ok(box_id) = BoxId::parse(&id) else { return refusal(&t, Some(staff.bar()), &Error::NotFound("box")) };
    let Ok(counted) = form.counted.trim().parse::<u32>() else {
        let error = Some(t.t("bin-counted-invalid"));
        return page(&state, t, &staff, &box_id, error).await;
    };
    let Ok(seen) = form.after.trim().parse::<i64>() else {
        let error = Some(t.error(&Error::BinEmptiedMeanwhile));
        return page(&state, t, &staff, &box_id, error).await;
    };
    let witness = match state.service.sign_in(&form.witness, &form.witness_password).await {
        Ok(witness) => witness,
        Err(Error::SignInRefused | Error::SignInCoolingDown { .. }) => {
            let error = Some(t.t("bin-witness-refused"));
            return page(&state, t, &staff, &box_id, error).await;
        }
        Err(e) => return refusal(&t, Some(staff.bar()), &e),
    };
    match state.service.empty_bin(&staff.principal, &box_id, counted, &witness, seen).await {
        Ok(emptying) => Redirect::to(&format!("/staff/bin-records/{}", emptying.id)).into_response(),
        Err(Error::Invalid { field: "countersigned_by", .. }) => {
            let error = Some(t.t("bin-witness-invalid"));
            page(&state, t, &staff, &box_id, error).await
        }
        Err(e @ Error::BinEmptiedMeanwhile) => {
            let error = Some(t.error(&e));
            page(&state, t, &staff, &box_id, error).await
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}

#[derive(askama::Template)]
#[template(path = "staff/destruction_record.html")]
struct RecordPage {
    t: Tr,
    bar: Option<Bar>,
    record: DestructionRecord,
    at: String,
    documents: Vec<DocumentLine>,
}

async fn record_of(state: &AppState, staff: &Staff, id: &str) -> Result<(DestructionRecord, chrono_tz::Tz), Error> {
    let id = id.parse::<i64>().map_err(|_| Error::NotFound("destruction record"))?;
    let record = state.service.destruction_record(&staff.principal, id).await?;
    let tz = state.service.time_zone_of_box(&record.emptying.box_id).await?;
    Ok((record, tz))
}

pub(crate) async fn record(State(state): State<AppState>, t: Tr, staff: Staff, Path(id): Path<String>) -> Response {
    match record_of(&state, &staff, &id).await {
        Ok((record, tz)) => {
            let documents = record
                .documents
                .iter()
                .map(|d| DocumentLine { taken_at: local(d.taken_at, tz), number: d.number.clone() })
                .collect();
            let at = local(record.emptying.emptied_at, tz);
            html(StatusCode::OK, &RecordPage { t, bar: Some(staff.bar()), record, at, documents })
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}

pub(crate) async fn record_pdf(State(state): State<AppState>, t: Tr, staff: Staff, Path(id): Path<String>) -> Response {
    match record_of(&state, &staff, &id).await {
        Ok((record, tz)) => {
            let pdf = super::destruction_pdf::render(&t, &record, tz);
            let name = format!("inline; filename=\"vernichtungsprotokoll-{}.pdf\"", record.emptying.id);
            ([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, name)], pdf)
                .into_response()
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}
