//! Staff accounts: made by an admin (the first one on the command line), signed in by name and
//! password. A password is kept only as an Argon2id hash; hashing runs off the async workers, and a
//! sign-in with an unknown name costs the same work as one with a known name. Failed sign-ins slow
//! the account down (see [`SignInThrottle`]) but never lock its owner out.

use std::sync::OnceLock;

use abholbox_core::ids::SiteId;
use abholbox_core::staff::{
    MAX_PASSWORD, SignInThrottle, StaffAction, StaffMember, StaffRole, check_password, parse_staff_name,
};
use abholbox_store::{NewAuditEntry, Rule, StaffRecord, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde_json::json;

use crate::{Error, Principal, Result, Service};

/// OWASP's minimum for Argon2id: 19 MiB, two passes, one lane; about 30 ms here.
fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|_| Error::Inconsistent("argon2 parameters"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Password hashes computed at once: each takes 19 MiB and a core for about 30 ms, so a burst of
/// sign-ins (or guesses) queues here instead of exhausting memory and the blocking pool.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Runs `work` (hashing or verifying a password) off the async workers, two at a time.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let _turn = HASHING.acquire().await.map_err(|_| Error::Inconsistent("password hashing closed"))?;
    tokio::task::spawn_blocking(work).await.map_err(|_| Error::Inconsistent("password hashing stopped"))?
}

/// A staff account to be made.
pub struct NewStaff {
    pub name: String,
    pub role: StaffRole,
    pub sites: Vec<SiteId>,
    pub password: String,
}

impl std::fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewStaff")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("sites", &self.sites)
            .finish_non_exhaustive()
    }
}

fn hash_password(password: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|_| Error::Inconsistent("argon2 salt"))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Inconsistent("argon2"))
}

fn password_matches(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        tracing::error!("a stored password hash does not parse; that account cannot sign in");
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches in practice, verified when the name is unknown so that the answer
/// takes as long as for a known name. Made once, on a blocking thread, by the first that needs it.
fn stand_in_hash() -> Result<&'static str> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let made = hash_password("no staff member has this password, which is never shown")?;
    Ok(HASH.get_or_init(|| made))
}

impl Service {
    /// Makes a staff account. The name is checked and kept in lower case, the password against the
    /// rules for staff passwords; every site must exist. `by` is who makes it (an admin, or the
    /// operator at the command line), for the audit log.
    pub async fn create_staff(&self, who: &Principal, new: NewStaff) -> Result<StaffRecord> {
        who.permit(StaffAction::ManageStaff, None)?;
        let by = &who.actor();
        let name = parse_staff_name(&new.name).map_err(|reason| Error::Credential { field: "name", reason })?;
        check_password(&new.password, &name).map_err(|reason| Error::Credential { field: "password", reason })?;
        let password = new.password;
        let password_hash = hashing(move || hash_password(&password)).await?;
        let mut bytes = [0u8; 8];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        let now = self.clock.now();
        let record = StaffRecord {
            id: format!("stf_{}", hex::encode(bytes)),
            name,
            role: new.role,
            sites: new.sites,
            password_hash,
            created_at: now,
            disabled_at: None,
            failed_sign_ins: 0,
            last_failed_at: None,
        };
        let mut tx = self.store.begin().await?;
        for site in &record.sites {
            if tx.site(site).await?.is_none() {
                return Err(Error::Unknown { field: "site" });
            }
        }
        match tx.insert_staff(&record).await {
            Err(StoreError::Conflict(Rule::StaffName)) => return Err(Error::DuplicateStaffName),
            other => other?,
        }
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: by.to_string(),
            action: "staff_created",
            object: format!("staff:{}", record.id),
            detail: json!({
                "name": record.name,
                "role": record.role.as_str(),
                "sites": record.sites.iter().map(SiteId::as_str).collect::<Vec<_>>(),
            }),
        })
        .await?;
        tx.commit().await?;
        tracing::info!(staff = %record.id, role = record.role.as_str(), "staff account made");
        Ok(record)
    }

    /// Every staff account, for the admin page.
    pub async fn staff_accounts(&self, who: &Principal) -> Result<Vec<StaffRecord>> {
        who.permit(StaffAction::ManageStaff, None)?;
        Ok(self.store.staff_members().await?)
    }

    /// Changes an account's role and sites, or disables it (its sessions end at once) or enables it
    /// again. Nobody changes their own account here, so that no admin locks the last admin out.
    pub async fn change_staff(
        &self,
        who: &Principal,
        name: &str,
        role: StaffRole,
        sites: Vec<SiteId>,
        disabled: bool,
    ) -> Result<StaffRecord> {
        who.permit(StaffAction::ManageStaff, None)?;
        let name = parse_staff_name(name).map_err(|reason| Error::Credential { field: "name", reason })?;
        let account = self.store.staff_by_name(&name).await?.ok_or(Error::NotFound("staff member"))?;
        if matches!(who, Principal::Staff(me) if me.id == account.id) {
            return Err(Error::OwnAccount);
        }
        let now = self.clock.now();
        let disabled_at = if disabled { Some(account.disabled_at.unwrap_or(now)) } else { None };
        let mut tx = self.store.begin().await?;
        for site in &sites {
            if tx.site(site).await?.is_none() {
                return Err(Error::Unknown { field: "site" });
            }
        }
        tx.update_staff(&account.id, role, &sites, disabled_at).await?;
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: who.actor().to_string(),
            action: "staff_changed",
            object: format!("staff:{}", account.id),
            detail: json!({
                "role": role.as_str(),
                "sites": sites.iter().map(SiteId::as_str).collect::<Vec<_>>(),
                "disabled": disabled,
            }),
        })
        .await?;
        tx.commit().await?;
        Ok(StaffRecord { role, sites, disabled_at, ..account })
    }

    /// Gives an account a new password (an admin's reset, or the demo's fresh sign-ins): its
    /// failures are forgotten and its sessions end.
    pub async fn reset_staff_password(&self, who: &Principal, name: &str, password: String) -> Result<()> {
        who.permit(StaffAction::ManageStaff, None)?;
        let name = parse_staff_name(name).map_err(|reason| Error::Credential { field: "name", reason })?;
        check_password(&password, &name).map_err(|reason| Error::Credential { field: "password", reason })?;
        let account = self.store.staff_by_name(&name).await?.ok_or(Error::NotFound("staff member"))?;
        if matches!(who, Principal::Staff(me) if me.id == account.id) {
            return Err(Error::OwnAccount);
        }
        let hash = hashing(move || hash_password(&password)).await?;
        let mut tx = self.store.begin().await?;
        tx.set_staff_password(&account.id, &hash).await?;
        tx.append_audit(&NewAuditEntry {
            at: self.clock.now(),
            actor: who.actor().to_string(),
            action: "staff_password_reset",
            object: format!("staff:{}", account.id),
            detail: json!({}),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs a staff member in. A wrong password, an unknown name and a disabled account all answer
    /// `SignInRefused`; an account with many recent failures answers `SignInCoolingDown` until its
    /// wait is over, whatever the password. Each try is booked as a failure before its password is
    /// checked, by a conditional write on the count it read: of tries that race, one goes on, the
    /// others are refused after the same work, so parallel guesses do not pass the throttle.
    pub async fn sign_in(&self, name: &str, password: &str) -> Result<StaffMember> {
        let throttle = SignInThrottle::default();
        let name = parse_staff_name(name).unwrap_or_default();
        let now = self.clock.now();
        let account = if name.is_empty() { None } else { self.store.staff_by_name(&name).await? };
        if let Some(a) = &account
            && let Some(at) = throttle.next_try_at(a.failed_sign_ins, a.last_failed_at, now)
        {
            // The same work as any other answer: a quick refusal would tell that the name exists.
            let password = password.to_owned();
            hashing(move || stand_in_hash().map(|h| password_matches(&password, h))).await?;
            return Err(Error::SignInCoolingDown { retry_after_seconds: ((at - now).num_milliseconds() + 999) / 1000 });
        }
        let booked = match &account {
            Some(a) => {
                let failures = throttle.count_after_failure(a.failed_sign_ins, a.last_failed_at, now);
                let mut tx = self.store.begin().await?;
                let booked = tx.book_sign_in(&a.id, (a.failed_sign_ins, a.last_failed_at), failures, now).await?;
                tx.commit().await?;
                booked
            }
            None => false,
        };
        // Too long a password is no staff password; it is still checked against the stand-in, so
        // that the answer takes as long as any other.
        let hash = account
            .as_ref()
            .filter(|_| booked && password.chars().count() <= MAX_PASSWORD)
            .map(|a| a.password_hash.clone());
        let password = password.to_owned();
        let matches = hashing(move || match hash {
            Some(hash) => Ok(password_matches(&password, &hash)),
            None => stand_in_hash().map(|h| {
                let _ = password_matches(&password, h);
                false
            }),
        })
        .await?;
        let Some(account) = account.filter(|_| booked) else { return Err(Error::SignInRefused) };
        let good = matches && account.disabled_at.is_none();
        let mut tx = self.store.begin().await?;
        if good {
            tx.clear_sign_in_failures(&account.id).await?;
        }
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: if good { format!("staff:{}", account.id) } else { "sign-in form".to_owned() },
            action: if good { "staff_signed_in" } else { "staff_sign_in_refused" },
            object: format!("staff:{}", account.id),
            detail: json!({ "failures_before": account.failed_sign_ins }),
        })
        .await?;
        tx.commit().await?;
        if !good {
            return Err(Error::SignInRefused);
        }
        Ok(StaffMember { id: account.id, name: account.name, role: account.role, sites: account.sites })
    }
}
