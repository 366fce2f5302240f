//! Signed-in staff: a session is a random secret in an HttpOnly cookie, found by its hash. Each use
//! reads the account again, so a role taken away or an account disabled counts at the next click,
//! not at the next sign-in. A session ends at sign-out, after an idle hour, or after twelve hours,
//! a long working day.

use abholbox_core::staff::StaffMember;
use abholbox_store::StaffSessionRecord;
use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::secrets::{new_token, token_hash};
use crate::{Error, Principal, Result, Service};

/// How long a session lives unused, and at most.
pub const IDLE: Duration = Duration::hours(1);
pub const LONGEST: Duration = Duration::hours(12);
/// A session's last use is written at most this often, so that a page that refreshes itself does
/// not write on every look.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A new session: the secret for the cookie, shown once.
pub struct StaffSession {
    pub secret: String,
}

impl std::fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffSession([redacted])")
    }
}

/// The anti-forgery token of a session's forms: derived from the session's secret, so that only a
/// page that holds the session (whose cookie no other site can read or send) can know it.
pub fn form_token(secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"abholbox staff form token\0");
    hasher.update(secret.as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether `given` is the form token of the session `secret`, compared in constant time.
pub fn form_token_matches(secret: &str, given: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(form_token(secret).as_bytes(), given.as_bytes()).into()
}

impl Service {
    /// Opens a session for a member who has just signed in. A new secret every time, so that a
    /// session id planted before the sign-in is worth nothing after it.
    pub async fn open_staff_session(&self, member: &StaffMember) -> Result<StaffSession> {
        let secret = new_token();
        let now = self.clock.now();
        let record = StaffSessionRecord {
            id: token_hash(&secret),
            staff_id: member.id.clone(),
            created_at: now,
            last_seen_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_staff_session(&record).await?;
        tx.commit().await?;
        Ok(StaffSession { secret })
    }

    /// The staff member behind a session's secret, as their account reads now. An unknown, ended,
    /// expired or disabled one answers `Unauthorized`. `by_person` says whether a person did
    /// something: a page refreshing itself does not keep an unattended screen signed in.
    pub async fn staff_session(&self, secret: &str, by_person: bool) -> Result<Principal> {
        if secret.len() > 200 {
            return Err(Error::Unauthorized);
        }
        let id = token_hash(secret);
        let (session, account) = self.store.staff_session(&id).await?.ok_or(Error::Unauthorized)?;
        let now = self.clock.now();
        if account.disabled_at.is_some() || now - session.last_seen_at > IDLE || now - session.created_at > LONGEST {
            let mut tx = self.store.begin().await?;
            tx.end_staff_session(&id).await?;
            tx.commit().await?;
            return Err(Error::Unauthorized);
        }
        if by_person && now - session.last_seen_at >= TOUCH_EVERY {
            let mut tx = self.store.begin().await?;
            tx.touch_staff_session(&id, now).await?;
            tx.commit().await?;
        }
        Ok(Principal::Staff(StaffMember {
            id: account.id,
            name: account.name,
            role: account.role,
            sites: account.sites,
        }))
    }

    /// Ends a session (sign-out). Ending one that is gone already is no error.
    pub async fn close_staff_session(&self, secret: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.end_staff_session(&token_hash(secret)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the sessions past their time; run with the housekeeping.
    pub async fn end_stale_staff_sessions(&self) -> Result<u64> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let ended = tx.end_stale_staff_sessions(now - IDLE, now - LONGEST).await?;
        tx.commit().await?;
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_token_belongs_to_its_session() {
        let token = form_token("abx_one");
        assert!(form_token_matches("abx_one", &token));
        assert!(!form_token_matches("abx_two", &token));
        assert!(!form_token_matches("abx_one", ""));
        assert_ne!(token, "abx_one");
    }
}
