//! Alarms for staff, as records: what happened where and when, and who acknowledged it. Raised by
//! the use cases that notice something (see `Service::refused`); listed and acknowledged by admins.

use abholbox_store::AlarmRecord;

use crate::tokens::Principal;
use crate::{Error, Result, Service};

impl Service {
    /// The alarms nobody has acknowledged yet, oldest first.
    pub async fn open_alarms(&self, who: &Principal) -> Result<Vec<AlarmRecord>> {
        admin(who)?;
        Ok(self.store.open_alarms().await?)
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

fn admin(who: &Principal) -> Result<&str> {
    match who {
        Principal::Admin { token_id } => Ok(token_id),
        _ => Err(Error::Forbidden),
    }
}
