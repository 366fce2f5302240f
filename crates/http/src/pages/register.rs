//! Registering an opt-in at the counter, by the same rules as `POST /api/v1/pickups`: the same
//! checks of every field, each refusal shown beside its field in the clerk's language.

use abholbox_core::document::DocumentKind;
use abholbox_core::language::Language;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;
use crate::routes::pickups::{RegisterPickup, check};

/// What the clerk typed, kept to fill the form again after a refusal.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub document_kind: String,
    #[serde(default)]
    pub document_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub old_document_number: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub low_compartment: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "staff/register.html")]
struct RegisterPage {
    t: Tr,
    bar: Option<Bar>,
    sites: Vec<String>,
    kinds: Vec<&'static str>,
    languages: Vec<&'static str>,
    form: RegisterForm,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
}

impl RegisterPage {
    fn value(&self, field: &str) -> &str {
        match field {
            "reference" => &self.form.reference,
            "phone" => &self.form.phone,
            "birth_date" => &self.form.birth_date,
            "document_number" => &self.form.document_number,
            _ => &self.form.old_document_number,
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

async fn page(
    state: &AppState,
    t: Tr,
    staff: &Staff,
    form: RegisterForm,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
) -> Response {
    let sites = match state.service.store().sites().await {
        Ok(all) => all.into_iter().filter(|s| staff.principal.sees(&s.id)).map(|s| s.id.to_string()).collect(),
        Err(e) => return refusal(&t, Some(staff.bar()), &e.into()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let kinds = DocumentKind::ALL.iter().map(|k| k.as_str()).collect();
    let languages = Language::ALL.iter().map(|l| l.code()).collect();
    html(status, &RegisterPage { t, bar: Some(staff.bar()), sites, kinds, languages, form, errors, done })
}

pub(crate) async fn form(State(state): State<AppState>, t: Tr, staff: Staff) -> Response {
    let form = RegisterForm { language: "de".into(), document_kind: "id_card".into(), ..RegisterForm::default() };
    page(&state, t, &staff, form, Vec::new(), None).await
}

/// A date typed the German way (`12.08.1974`) as the API takes it (`1974-08-12`).
fn iso_date(typed: &str) -> String {
    let parts: Vec<&str> = typed.trim().split('.').collect();
    match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => typed.trim().to_owned(),
    }
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub(crate) async fn register(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Form(form): Form<RegisterForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let body = RegisterPickup {
        reference: form.reference.trim().to_owned(),
        site: form.site.clone(),
        document_kind: form.document_kind.clone(),
        document_number: optional(&form.document_number),
        phone: form.phone.clone(),
        birth_date: iso_date(&form.birth_date),
        old_document_number: optional(&form.old_document_number),
        language: form.language.clone(),
        low_compartment: form.low_compartment.is_some(),
    };
    let registration = match check(body, state.service.clock().now().date_naive()) {
        Ok(r) => r,
        Err(refused) => {
            let errors =
                refused.into_iter().map(|(field, _)| (field, t.t(&format!("field-{field}-invalid")))).collect();
            return page(&state, t, &staff, form, errors, None).await;
        }
    };
    match state.service.register(&staff.principal, registration).await {
        Ok(pickup) => {
            let done = Some(t.t1("register-done", "reference", &pickup.reference));
            let fresh = RegisterForm {
                site: form.site,
                language: "de".into(),
                document_kind: "id_card".into(),
                ..RegisterForm::default()
            };
            page(&state, t, &staff, fresh, Vec::new(), done).await
        }
        Err(abholbox_service::Error::DuplicateReference) => {
            let errors = vec![("reference", t.t("error-duplicate_reference"))];
            page(&state, t, &staff, form, errors, None).await
        }
        Err(abholbox_service::Error::DuplicateDocumentNumber) => {
            let errors = vec![("document_number", t.t("error-duplicate_document_number"))];
            page(&state, t, &staff, form, errors, None).await
        }
        Err(e) => refusal(&t, Some(staff.bar()), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_dates_become_iso_dates() {
        assert_eq!(iso_date("12.08.1974"), "1974-08-12");
        assert_eq!(iso_date(" 1.2.1990 "), "1990-02-01");
        assert_eq!(iso_date("1974-08-12"), "1974-08-12");
        assert_eq!(iso_date("12.08.74"), "12.08.74", "left for the check to refuse");
    }
}
