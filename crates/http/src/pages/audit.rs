//! The audit log view for supervisors: every staff action and kiosk outcome with time, actor and
//! object, filtered by box or pickup, actor and day; nothing here can change it.

use std::collections::HashMap;

use abholbox_service::audit::{AUDIT_PAGE, AuditQuery};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::bin::local;
use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct AuditForm {
    #[serde(default)]
    about: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    day: String,
    /// The next page's start, as the page's own link gives it; empty for the first.
    #[serde(default)]
    before: String,
}

pub(crate) struct Entry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

#[derive(askama::Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    t: Tr,
    bar: Option<Bar>,
    about: String,
    actor: String,
    day: String,
    entries: Vec<Entry>,
    next: Option<String>,
    error: Option<String>,
}

/// A day typed as `TT.MM.JJJJ` or `JJJJ-MM-TT`.
fn day(typed: &str) -> Option<chrono::NaiveDate> {
    let typed = typed.trim();
    chrono::NaiveDate::parse_from_str(typed, "%d.%m.%Y")
        .or_else(|_| chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
        .ok()
}

fn actor_name(actor: &str, names: &HashMap<String, String>) -> String {
    actor
        .strip_prefix("staff:")
        .and_then(|id| names.get(id))
        .map_or_else(|| actor.to_owned(), |n| format!("{n} ({actor})"))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Query(form): Query<AuditForm>,
) -> Response {
    let bar = Some(staff.bar());
    let parsed_day = day(&form.day);
    let before = form.before.trim();
    let before_id = before.parse::<i64>().ok();
    let error = if !form.day.trim().is_empty() && parsed_day.is_none() {
        Some(t.t("audit-day-invalid"))
    } else if !before.is_empty() && before_id.is_none() {
        Some(t.t("audit-before-invalid"))
    } else {
        None
    };
    let query =
        AuditQuery { mention: Some(form.about.clone()), actor: Some(form.actor.clone()), day: parsed_day, before_id };
    let (records, names) = match async {
        Ok::<_, abholbox_service::Error>((
            state.service.audit_log(&staff.principal, query).await?,
            state.service.staff_names(&staff.principal).await?,
        ))
    }
    .await
    {
        Ok(found) => found,
        Err(e) => return refusal(&t, bar, &e),
    };
    let next = (records.len() == AUDIT_PAGE as usize).then(|| {
        let last = records.last().map_or(0, |r| r.id);
        let q = |s: &str| s.replace('&', "%26").replace(' ', "+");
        format!("?about={}&actor={}&day={}&before={last}", q(&form.about), q(&form.actor), q(&form.day))
    });
    let entries = records
        .into_iter()
        .map(|r| Entry {
            at: local(r.at, chrono_tz::Europe::Berlin),
            actor: actor_name(&r.actor, &names),
            action: r.action,
            object: r.object,
            detail: if r.detail == serde_json::json!({}) { String::new() } else { r.detail.to_string() },
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = AuditPage { t, bar, about: form.about, actor: form.actor, day: form.day, entries, next, error };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_the_german_way_and_the_iso_way() {
        let want = chrono::NaiveDate::from_ymd_opt(2026, 11, 30);
        assert_eq!(day("30.11.2026"), want);
        assert_eq!(day(" 2026-11-30 "), want);
        assert_eq!(day("30.13.2026"), None);
    }
}
