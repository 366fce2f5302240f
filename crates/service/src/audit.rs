//! The audit log's chain: every entry is linked to the one before it by a keyed hash (HMAC-SHA256
//! under the `audit` key, which lives outside the database), so an entry edited, deleted or moved
//! afterwards breaks the chain where it was, and nobody without the key can forge a new one.
//!
//! Entries are written in the transaction of the change they record, sealed (a keyed hash of the
//! entry alone, made as the store writes it), and one job chains them within a second in the order
//! it finds them. The chainer chains only entries whose seal holds: a row that someone put into the
//! log, or an unchained entry someone changed, stays out of the chain and `verify` names it. Chaining apart from writing keeps the write path
//! free of a single row that every transaction would have to lock; a unique position per entry lets
//! only one chainer win when several servers share a database.

use std::time::Duration;

use abholbox_core::staff::StaffAction;
use abholbox_store::{AuditFilter, AuditRecord, Store, StoreError};
use tokio::sync::watch;

use crate::secrets::KeyRing;
use crate::{Error, Principal, Result, Service};

/// Entries chained per transaction.
const CHAIN_BATCH: u32 = 500;
/// How often the chainer looks for new entries.
pub const CHAIN_EVERY: Duration = Duration::from_secs(1);
/// Entries read per query while verifying.
const VERIFY_BATCH: u32 = 1000;

impl Service {
    /// Chains the audit entries written since the last round; returns how many it chained. Another
    /// server chaining at the same moment makes this round stop early, without harm.
    pub async fn chain_audit(&self) -> Result<u64> {
        let mut chained = 0;
        loop {
            let mut tx = self.store.begin().await?;
            let batch = tx.audit_unchained(CHAIN_BATCH).await?;
            if batch.is_empty() {
                return Ok(chained);
            }
            let end = tx.audit_chain_end().await?;
            let mut position = end.as_ref().and_then(|e| e.position).unwrap_or(0);
            let mut previous = end.and_then(|e| e.link).map(|l| l.hash).unwrap_or_default();
            let mut chained_now = 0;
            for entry in &batch {
                if !entry.seal.as_ref().is_some_and(|s| self.keys.audit_sealed(&entry.canonical_entry(), s)) {
                    tracing::error!(entry = entry.id, "an audit entry without a valid seal is not chained");
                    continue;
                }
                position += 1;
                chained_now += 1;
                let link = self.keys.audit_link(&previous, &entry.canonical(position));
                match tx.chain_audit(entry.id, position, &link).await {
                    Ok(true) => {}
                    Ok(false) | Err(StoreError::Conflict(_)) => return Ok(chained),
                    Err(e) => return Err(e.into()),
                }
                previous = link.hash;
            }
            match tx.commit().await {
                Ok(()) => chained += chained_now,
                Err(StoreError::Conflict(_) | StoreError::Retry) => return Ok(chained),
                Err(e) => return Err(e.into()),
            }
            if batch.len() < CHAIN_BATCH as usize {
                return Ok(chained);
            }
        }
    }

    /// Chains new entries every [`CHAIN_EVERY`] until `shutdown` turns true.
    pub async fn run_audit_chain(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.chain_audit().await {
                tracing::error!(error = %e, "audit entries not chained yet; trying again");
            }
            tokio::select! {
                () = tokio::time::sleep(CHAIN_EVERY) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// What `abholbox audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every chained entry verifies. `head` is the last entry's position and link: kept outside the
    /// database (a log, a ticket), it shows later whether entries were cut off the end.
    Intact { chained: i64, unchained: i64, head: Option<(i64, String)> },
    /// The first entry where the chain breaks, by its id and position, and why.
    Broken { id: i64, position: i64, reason: &'static str },
    /// An entry not chained yet whose seal does not hold: written by someone without the key, or
    /// changed since.
    Unsealed { id: i64 },
    /// An entry with the seal of an earlier one: a copy.
    Copied { id: i64 },
}

/// Walks the whole chain from its start and checks every link, then the seals of what waits to be
/// chained, then that no entry is a copy of another. Give it the installation's own key file (the
/// caller checks its fingerprint): under other keys every entry would look altered.
pub async fn verify_audit(store: &dyn Store, keys: &KeyRing) -> Result<AuditVerdict> {
    let mut previous: Vec<u8> = Vec::new();
    let mut expected = 1;
    let mut head = None;
    loop {
        let batch = store.audit_chain(expected - 1, VERIFY_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for entry in &batch {
            let position = entry.position.ok_or(Error::Inconsistent("a chained entry without its position"))?;
            if let Some(reason) = broken(keys, entry, position, expected, &previous) {
                return Ok(AuditVerdict::Broken { id: entry.id, position, reason });
            }
            previous = entry.link.as_ref().map(|l| l.hash.clone()).unwrap_or_default();
            head = Some((position, hex::encode(&previous)));
            expected = position + 1;
        }
    }
    let unchained = store.audit_unchained_count().await?;
    let mut tx = store.begin().await?;
    let waiting = tx.audit_unchained(u32::try_from(unchained).unwrap_or(u32::MAX)).await?;
    drop(tx);
    for entry in waiting {
        if !entry.seal.as_ref().is_some_and(|seal| keys.audit_sealed(&entry.canonical_entry(), seal)) {
            return Ok(AuditVerdict::Unsealed { id: entry.id });
        }
    }
    if let Some(id) = store.audit_repeated_seal().await? {
        return Ok(AuditVerdict::Copied { id });
    }
    Ok(AuditVerdict::Intact { chained: expected - 1, unchained, head })
}

fn broken(keys: &KeyRing, entry: &AuditRecord, position: i64, expected: i64, previous: &[u8]) -> Option<&'static str> {
    if position != expected {
        return Some("the entry before it is missing");
    }
    match &entry.link {
        Some(link) if keys.audit_links(previous, &entry.canonical(position), link) => None,
        Some(_) => Some("it was altered, moved, or the entry before it was"),
        None => Some("it has a position but no link"),
    }
}

/// What a supervisor asks the audit log for.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// A box or pickup id.
    pub mention: Option<String>,
    /// A staff member's sign-in name, or an actor as recorded (`token:…`, `kiosk:…`).
    pub actor: Option<String>,
    /// A day in the installation's time zone.
    pub day: Option<chrono::NaiveDate>,
    /// Entries older than this id: the next page.
    pub before_id: Option<i64>,
}

/// Entries per page of the audit log view.
pub const AUDIT_PAGE: u32 = 100;

impl Service {
    /// The audit log as a supervisor reads it, newest first: read-only for everyone, admins
    /// included (the store refuses any change to it). A supervisor reads the part about their sites
    /// (what was done to their boxes, pickups, alarms and kiosk sessions); the rest, other sites' and
    /// the installation's own (staff accounts, sign-ins, tokens, keys), is for admins.
    pub async fn audit_log(&self, who: &Principal, query: AuditQuery) -> Result<Vec<AuditRecord>> {
        who.permit(StaffAction::ViewAudit, None)?;
        let actor = match query.actor.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()) {
            Some(a) if !a.contains(':') => {
                let name = abholbox_core::staff::parse_staff_name(&a).unwrap_or_default();
                match self.store.staff_by_name(&name).await? {
                    Some(member) => Some(format!("staff:{}", member.id)),
                    None => Some(a),
                }
            }
            other => other,
        };
        let tz = self.store.sites().await?.first().and_then(|s| s.time_zone.parse::<chrono_tz::Tz>().ok());
        let tz = tz.unwrap_or(chrono_tz::Europe::Berlin);
        let midnight = |d: chrono::NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(tz).earliest())
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let (from, until) = match query.day {
            Some(day) => (midnight(day), day.succ_opt().and_then(midnight)),
            None => (None, None),
        };
        let filter = AuditFilter {
            // `box:dlz-1` as the log writes it reads as `dlz-1`: the box and all that mentions it.
            mention: query
                .mention
                .map(|m| {
                    let m = m.trim();
                    m.strip_prefix("box:").or_else(|| m.strip_prefix("site:")).unwrap_or(m).to_owned()
                })
                .filter(|m| !m.is_empty()),
            actor,
            from,
            until,
            before_id: query.before_id,
            sites: who.site_scope(),
            limit: AUDIT_PAGE,
        };
        Ok(self.store.audit_search(&filter).await?)
    }

    /// Staff names by account id, to show `staff:stf_…` actors by name.
    pub async fn staff_names(&self, who: &Principal) -> Result<std::collections::HashMap<String, String>> {
        who.permit(StaffAction::ViewAudit, None)?;
        Ok(self.store.staff_members().await?.into_iter().map(|s| (s.id, s.name)).collect())
    }
}
