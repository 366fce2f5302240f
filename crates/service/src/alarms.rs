//! Alarms for staff, as records: what happened where and when, and who acknowledged it. Raised by
//! the use cases that notice something (see `Service::refused`); listed and acknowledged by admins.

use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_store::{AlarmRecord, NewAlarm, Tx};
use chrono::{DateTime, Utc};

use abholbox_core::staff::StaffAction;

use crate::tokens::Principal;
use crate::{Error, Result, Service};

impl Service {
    /// The alarms nobody has acknowledged yet, oldest first: those of the sites `who` works for.
    pub async fn open_alarms(&self, who: &Principal) -> Result<Vec<AlarmRecord>> {
        if matches!(who, Principal::Kiosk { .. } | Principal::Integration { .. }) {
            return Err(Error::Forbidden);
        }
        let mut alarms = self.store.open_alarms().await?;
        alarms.retain(|a| who.sees(&a.site));
        Ok(alarms)
    }

    /// Open alarms by kind, for monitoring.
    pub async fn open_alarm_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut counts = std::collections::BTreeMap::new();
        for alarm in self.store.open_alarms().await? {
            *counts.entry(alarm.kind).or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// Marks an alarm seen; who acknowledged it is recorded with it and in the audit log.
    pub async fn acknowledge_alarm(&self, who: &Principal, id: i64) -> Result<()> {
        let alarm = self.store.open_alarms().await?.into_iter().find(|a| a.id == id && who.sees(&a.site));
        let alarm = alarm.ok_or(Error::NotFound("open alarm"))?;
        who.permit(StaffAction::AcknowledgeAlarm, Some(&alarm.site))?;
        let actor = who.actor().to_string();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !tx.acknowledge_alarm(id, &actor, now).await? {
            return Err(Error::NotFound("open alarm"));
        }
        tx.append_audit(&abholbox_store::NewAuditEntry {
            at: now,
            actor,
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
