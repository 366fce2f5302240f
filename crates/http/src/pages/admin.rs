//! Admin pages: staff accounts (make, change role and sites, disable, new password), tokens (make,
//! shown once; revoke) and the sites and boxes as configured. Every change is an admin's use case;
//! the pages only collect what was typed.

use abholbox_core::ids::{BoxId, PanelId, SiteId};
use abholbox_core::staff::{CredentialError, MAX_PASSWORD, MIN_PASSWORD, StaffRole};
use abholbox_service::Error;
use abholbox_service::staff::NewStaff;
use abholbox_store::Role;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::bin::local;
use super::render::{Tr, html, refusal};
use super::session::{Bar, Staff};
use crate::AppState;

pub(crate) struct Account {
    pub name: String,
    pub role: &'static str,
    pub sites: String,
    pub disabled: bool,
    pub failures: u32,
}

#[derive(askama::Template)]
#[template(path = "staff/admin_users.html")]
struct UsersPage {
    t: Tr,
    bar: Option<Bar>,
    accounts: Vec<Account>,
    roles: Vec<&'static str>,
    done: Option<String>,
    error: Option<String>,
}

async fn users_page(state: &AppState, t: Tr, staff: &Staff, done: Option<String>, error: Option<String>) -> Response {
    let bar = Some(staff.bar());
    let accounts = match state.service.staff_accounts(&staff.principal).await {
        Ok(a) => a,
        Err(e) => return refusal(&t, bar, &e),
    };
    let accounts = accounts
        .into_iter()
        .map(|a| Account {
            name: a.name,
            role: a.role.as_str(),
            sites: a.sites.iter().map(SiteId::as_str).collect::<Vec<_>>().join(" "),
            disabled: a.disabled_at.is_some(),
            failures: a.failed_sign_ins,
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let roles = StaffRole::ALL.iter().map(|r| r.as_str()).collect();
    html(status, &UsersPage { t, bar, accounts, roles, done, error })
}

pub(crate) async fn users(State(state): State<AppState>, t: Tr, staff: Staff) -> Response {
    users_page(&state, t, &staff, None, None).await
}

fn sites(typed: &str) -> Result<Vec<SiteId>, Error> {
    typed
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| SiteId::parse(s).map_err(|e| Error::Invalid { field: "site", message: e.to_string() }))
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    sites: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    disabled: Option<String>,
}

/// What an admin's change came to, as the page says it.
fn outcome(t: &Tr, done: Result<String, Error>) -> (Option<String>, Option<String>) {
    match done {
        Ok(message) => (Some(message), None),
        Err(Error::Invalid { field, message }) => (None, Some(format!("{}: {message}", t.tk("admin-field-", field)))),
        Err(Error::Credential { field, reason }) => {
            (None, Some(format!("{}: {}", t.tk("admin-field-", field), credential_rule(t, &reason))))
        }
        Err(Error::Unknown { field }) => {
            (None, Some(format!("{}: {}", t.tk("admin-field-", field), t.t("admin-unknown"))))
        }
        Err(e) => (None, Some(t.error(&e))),
    }
}

/// The rule a name or password broke, in the page's language.
fn credential_rule(t: &Tr, reason: &CredentialError) -> String {
    match reason {
        CredentialError::Name => t.t("credential-name"),
        CredentialError::TooShort => t.t1("credential-too-short", "min", &MIN_PASSWORD.to_string()),
        CredentialError::TooLong => t.t1("credential-too-long", "max", &MAX_PASSWORD.to_string()),
        CredentialError::ContainsName => t.t("credential-contains-name"),
        CredentialError::Repeated => t.t("credential-repeated"),
    }
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Form(form): Form<UserForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let done = async {
        let role = StaffRole::parse(&form.role).ok_or(Error::Invalid { field: "role", message: "?".into() })?;
        let new =
            NewStaff { name: form.name.clone(), role, sites: sites(&form.sites)?, password: form.password.clone() };
        let made = state.service.create_staff(&staff.principal, new).await?;
        Ok(t.t1("admin-user-created", "name", &made.name))
    }
    .await;
    let (done, error) = outcome(&t, done);
    users_page(&state, t, &staff, done, error).await
}

pub(crate) async fn change_user(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path(name): Path<String>,
    Form(form): Form<UserForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let done = async {
        if !form.password.is_empty() {
            state.service.reset_staff_password(&staff.principal, &name, form.password.clone()).await?;
            return Ok(t.t1("admin-password-set", "name", &name));
        }
        let role = StaffRole::parse(&form.role).ok_or(Error::Invalid { field: "role", message: "?".into() })?;
        let sites = sites(&form.sites)?;
        let changed = state.service.change_staff(&staff.principal, &name, role, sites, form.disabled.is_some()).await?;
        Ok(t.t1("admin-user-changed", "name", &changed.name))
    }
    .await;
    let (done, error) = outcome(&t, done);
    users_page(&state, t, &staff, done, error).await
}

pub(crate) struct TokenLine {
    pub id: String,
    pub role: &'static str,
    pub place: String,
    pub label: String,
    pub created: String,
    pub revoked: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "staff/admin_tokens.html")]
struct TokensPage {
    t: Tr,
    bar: Option<Bar>,
    tokens: Vec<TokenLine>,
    /// Each box with its panels: a kiosk token belongs to one panel.
    boxes: Vec<(String, Vec<String>)>,
    secret: Option<(String, String)>,
    done: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    t: Tr,
    staff: &Staff,
    secret: Option<(String, String)>,
    done: Option<String>,
    error: Option<String>,
) -> Response {
    let bar = Some(staff.bar());
    if let Err(e) = staff.principal.permit(abholbox_core::staff::StaffAction::ManageTokens, None) {
        return refusal(&t, bar, &e);
    }
    let (tokens, boxes) =
        match async { Ok::<_, Error>((state.service.store().tokens().await?, state.service.store().boxes().await?)) }
            .await
        {
            Ok(found) => found,
            Err(e) => return refusal(&t, bar, &e),
        };
    let tz = chrono_tz::Europe::Berlin;
    let tokens = tokens
        .into_iter()
        .map(|k| TokenLine {
            id: k.id,
            role: k.role.as_str(),
            place: match (k.box_id, k.panel) {
                (Some(b), Some(p)) => format!("{b} / {p}"),
                (Some(b), None) => b.to_string(),
                _ => String::new(),
            },
            label: k.label,
            created: local(k.created_at, tz),
            revoked: k.revoked_at.map(|at| local(at, tz)),
        })
        .collect();
    let mut with_panels = Vec::with_capacity(boxes.len());
    for b in boxes {
        let panels = match state.service.store().panels(&b.id).await {
            Ok(panels) => panels.into_iter().map(|p| p.id.to_string()).collect(),
            Err(e) => return refusal(&t, bar, &e.into()),
        };
        with_panels.push((b.id.to_string(), panels));
    }
    let boxes = with_panels;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    html(status, &TokensPage { t, bar, tokens, boxes, secret, done, error })
}

pub(crate) async fn tokens(State(state): State<AppState>, t: Tr, staff: Staff) -> Response {
    tokens_page(&state, t, &staff, None, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(rename = "box", default)]
    box_id: String,
    /// The box's panel; empty for its first.
    #[serde(default)]
    panel: String,
    #[serde(default)]
    label: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let made = async {
        let role = Role::parse(&form.role).ok_or(Error::Invalid { field: "role", message: "?".into() })?;
        let box_id = match role {
            Role::Kiosk => {
                Some(BoxId::parse(&form.box_id).map_err(|e| Error::Invalid { field: "box", message: e.to_string() })?)
            }
            Role::Integration | Role::Admin => None,
        };
        // Like the box, the panel belongs to a kiosk token only; for another role it is left aside.
        let panel = match (role, form.panel.trim()) {
            (Role::Kiosk, p) if !p.is_empty() => {
                Some(PanelId::parse(p).map_err(|e| Error::Invalid { field: "panel", message: e.to_string() })?)
            }
            _ => None,
        };
        let label = form.label.trim();
        state.service.create_token(&staff.principal, role, box_id, panel, label).await
    }
    .await;
    match made {
        Ok((record, secret)) => tokens_page(&state, t, &staff, Some((record.id, secret)), None, None).await,
        Err(e) => {
            let (_, error) = outcome(&t, Err(e));
            tokens_page(&state, t, &staff, None, None, error).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    t: Tr,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    if let Some(refused) = staff.refuse_forged(&t, &form.csrf) {
        return refused;
    }
    let done = state.service.revoke_token(&staff.principal, &id).await.map(|()| t.t1("admin-token-revoked", "id", &id));
    let (done, error) = outcome(&t, done);
    tokens_page(&state, t, &staff, None, done, error).await
}

pub(crate) struct SiteLine {
    pub id: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub boxes: Vec<(String, String, String, u32)>,
}

#[derive(askama::Template)]
#[template(path = "staff/admin_sites.html")]
struct SitesPage {
    t: Tr,
    bar: Option<Bar>,
    sites: Vec<SiteLine>,
}

pub(crate) async fn sites_page(State(state): State<AppState>, t: Tr, staff: Staff) -> Response {
    let bar = Some(staff.bar());
    if let Err(e) = staff.principal.permit(abholbox_core::staff::StaffAction::ManageSites, None) {
        return refusal(&t, bar, &e);
    }
    let found =
        async { Ok::<_, Error>((state.service.store().sites().await?, state.service.store().box_summaries().await?)) }
            .await;
    let (sites, boxes) = match found {
        Ok(found) => found,
        Err(e) => return refusal(&t, bar, &e),
    };
    let sites = sites
        .into_iter()
        .map(|s| SiteLine {
            boxes: boxes
                .iter()
                .filter(|b| b.record.site == s.id)
                .map(|b| (b.record.id.to_string(), b.record.name.clone(), b.record.driver.clone(), b.compartments))
                .collect(),
            id: s.id.to_string(),
            name: s.name,
            address: s.address,
            hours: if s.open_24_7 { "24/7".into() } else { s.opening_hours.unwrap_or_default() },
        })
        .collect();
    html(StatusCode::OK, &SitesPage { t, bar, sites })
}
