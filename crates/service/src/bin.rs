//! The old-document bin: the slot keeps every old ID card and passport it reads for destruction.
//! Staff see what it took in since the last emptying (count and numbers); two of them empty it,
//! one countersigning with their own sign-in, and say how many they counted. A count that differs
//! from what the box took in is recorded loudly (audit entry, alarm, log) and never blocks the
//! emptying: the documents are out of the box either way, and the record says what was missing.

use abholbox_core::ids::BoxId;
use abholbox_core::staff::{StaffAction, StaffMember};
use abholbox_store::{BinEmptyingRecord, BinItem, NewAuditEntry, NewBinEmptying};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{Error, Principal, Result, Service};

/// An old document as staff see it in the bin or on a destruction record.
#[derive(Clone, PartialEq, Eq)]
pub struct OldDocumentLine {
    pub taken_at: DateTime<Utc>,
    pub number: String,
}

impl std::fmt::Debug for OldDocumentLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OldDocumentLine({}, [redacted])", self.taken_at)
    }
}

/// A destruction record: one emptying with who did it and what it took out.
#[derive(Debug, Clone)]
pub struct DestructionRecord {
    pub emptying: BinEmptyingRecord,
    pub box_name: String,
    pub site: String,
    pub emptied_by: String,
    pub countersigned_by: String,
    pub documents: Vec<OldDocumentLine>,
}

impl Service {
    async fn bin_site_check(&self, who: &Principal, box_id: &BoxId) -> Result<abholbox_store::BoxRecord> {
        let record = self.store.boxes().await?.into_iter().find(|b| &b.id == box_id).ok_or(Error::NotFound("box"))?;
        if !who.sees(&record.site) {
            return Err(Error::NotFound("box"));
        }
        who.permit(StaffAction::EmptyBin, Some(&record.site))?;
        Ok(record)
    }

    fn lines(&self, items: &[BinItem]) -> Result<Vec<OldDocumentLine>> {
        items
            .iter()
            .map(|item| Ok(OldDocumentLine { taken_at: item.taken_at, number: self.open_old_document(item)? }))
            .collect()
    }

    /// What the bin took in since it was last emptied, oldest first.
    pub async fn bin(&self, who: &Principal, box_id: &BoxId) -> Result<Vec<OldDocumentLine>> {
        self.bin_site_check(who, box_id).await?;
        self.lines(&self.store.bin_contents(box_id).await?)
    }

    /// The box's last emptyings, newest first.
    pub async fn bin_emptyings(&self, who: &Principal, box_id: &BoxId) -> Result<Vec<BinEmptyingRecord>> {
        self.bin_site_check(who, box_id).await?;
        Ok(self.store.bin_emptyings(box_id, 20).await?)
    }

    /// Records that the bin was emptied by `who`, countersigned by `witness` (a second staff member
    /// of the site, signed in for this), who together counted `counted` documents. `seen` is the
    /// newest emptying the form showed (0: none): a form sent twice records one emptying, not a second
    /// one of an empty bin.
    pub async fn empty_bin(
        &self,
        who: &Principal,
        box_id: &BoxId,
        counted: u32,
        witness: &StaffMember,
        seen: i64,
    ) -> Result<BinEmptyingRecord> {
        let record = self.bin_site_check(who, box_id).await?;
        let Principal::Staff(member) = who else { return Err(Error::Forbidden) };
        if witness.id == member.id {
            return Err(Error::Invalid {
                field: "countersigned_by",
                message: "a second staff member countersigns".into(),
            });
        }
        witness
            .check(StaffAction::EmptyBin, Some(&record.site))
            .map_err(|_| Error::Invalid { field: "countersigned_by", message: "not staff of this site".into() })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if seen != tx.newest_bin_emptying(box_id).await? {
            return Err(Error::BinEmptiedMeanwhile);
        }
        let emptying = tx
            .record_bin_emptying(&NewBinEmptying {
                box_id: box_id.clone(),
                at: now,
                emptied_by: member.id.clone(),
                countersigned_by: witness.id.clone(),
                counted,
            })
            .await?;
        let detail = json!({
            "emptying": emptying.id,
            "counted": counted,
            "expected": emptying.expected,
            "countersigned_by": format!("staff:{}", witness.id),
        });
        tx.append_audit(&NewAuditEntry {
            at: now,
            actor: who.actor().to_string(),
            action: if counted == emptying.expected { "bin_emptied" } else { "bin_emptied_count_mismatch" },
            object: format!("box:{box_id}"),
            detail: detail.clone(),
        })
        .await?;
        if counted != emptying.expected {
            self.box_alarm(tx.as_mut(), box_id, "bin_count_mismatch", None, now, detail).await?;
        }
        tx.commit().await?;
        if counted == emptying.expected {
            tracing::info!(%box_id, emptying = emptying.id, documents = counted, "bin emptied");
        } else {
            tracing::warn!(%box_id, emptying = emptying.id, counted, expected = emptying.expected, "bin emptied: the count differs from what the box took in");
        }
        Ok(emptying)
    }

    /// One emptying's destruction record, for the sites `who` works for.
    pub async fn destruction_record(&self, who: &Principal, id: i64) -> Result<DestructionRecord> {
        let (emptying, items) = self.store.bin_emptying(id).await?.ok_or(Error::NotFound("destruction record"))?;
        let record = self.bin_site_check(who, &emptying.box_id).await.map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound("destruction record"),
            other => other,
        })?;
        let name = |id: String| async move { self.store.staff_by_id(&id).await.map(|s| s.map_or(id, |s| s.name)) };
        // The site as people know it; its id only should it have gone from the configuration.
        let site = self.store.sites().await?.into_iter().find(|s| s.id == record.site);
        Ok(DestructionRecord {
            box_name: record.name,
            site: site.map_or_else(|| record.site.to_string(), |s| s.name),
            emptied_by: name(emptying.emptied_by.clone()).await?,
            countersigned_by: name(emptying.countersigned_by.clone()).await?,
            documents: self.lines(&items)?,
            emptying,
        })
    }
}
