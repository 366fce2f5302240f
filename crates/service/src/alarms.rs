//! Alarms for staff, as records: what happened where and when, and who acknowledged it. Raised by
//! the use cases that notice something (see `Service::refused`); listed and acknowledged by admins.

use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_store::{AlarmRecord, NewAlarm, Tx};
use chrono::{DateTime, Utc};

use crate::tokens::Principal;
use crate::{Error, Result, Service};

impl Service {
    /// The alarms nobody has acknowledged yet, oldest first.
    pub async fn open_alarms(&self, who: &Principal) -> Result<Vec<AlarmRecord>> {
        admin(who)?;
        Ok(self.store.open_alarms().await?)
    }

    /// Open alarms by kind, for monitoring.
    pub async fn open_alarm_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut counts = std::collections::BTreeMap::new();
        for alarm in self.store.open_alarms().await? {
            *counts.entry(alarm.kind).or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// Marks an alarm seen; the acknowledging token is recorded with it and in the audit log.
    pub async fn acknowledge_alarm(&self, who: &Principal, id: i64) -> Result<()> {
        let token = admin(who)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !tx.acknowledge_alarm(id, &format!("token:{token}"), now).await? {
            return Err(Error::NotFound("open alarm"));
        }
        tx.append_audit(&abholbox_store::NewAuditEntry {
            at: now,
            actor: format!("token:{token}"),
            action: "alarm_acknowledged",
            object: format!("alarm:{id}"),
            detail: serde_json::json!({}),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Service {
    /// Raises an alarm about a box's hardware, unless one of its kind is open for the same
    /// compartment; the log says so either way, without personal data.
    pub(crate) async fn box_alarm(
        &self,
        tx: &mut dyn Tx,
        box_id: &BoxId,
        kind: &'static str,
        compartment: Option<CompartmentNo>,
        at: DateTime<Utc>,
        detail: serde_json::Value,
    ) -> Result<()> {
        let Some(site) = tx.box_record(box_id).await?.map(|b| b.site) else { return Ok(()) };
        let alarm = NewAlarm { kind, site, box_id: Some(box_id.clone()), panel: None, compartment, at, detail };
        if tx.raise_alarm(&alarm).await? {
            tracing::warn!(kind, %box_id, compartment = compartment.map(|c| c.get()), "alarm raised for staff");
        }
        Ok(())
    }
}

fn admin(who: &Principal) -> Result<&str> {
    match who {
        Principal::Admin { token_id } => Ok(token_id),
        _ => Err(Error::Forbidden),
    }
}
