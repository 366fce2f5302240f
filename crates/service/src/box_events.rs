//! Facts from the boxes: doors and the document slot.
//!
//! A door that closes is the moment that matters: after loading it makes a pickup ready, after a
//! claim it is the proof of hand-over and the pickup becomes collected. Only the door of the claimed
//! compartment, opened after the claim, counts; anything else is recorded for staff, never acted on.

use abholbox_box::{BoxEvent, BoxReport};
use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_core::kiosk::SessionEvent;
use abholbox_core::pickup::{PickupEvent, PickupStatus};
use abholbox_store::NewAuditEntry;
use serde_json::json;
use tokio::sync::mpsc;

use crate::kiosk::save;
use crate::{Actor, Error, Result, Service};

impl Service {
    /// Consumes box reports until every driver has gone. A door report that fails for a passing reason
    /// (a busy database, a concurrent write) is retried with backoff, because a door that closed will
    /// not close again, and handling it twice is harmless. A document read is handled once: after a
    /// failure the document is given back, so the citizen can insert it again.
    pub async fn run_box_events(&self, mut reports: mpsc::Receiver<BoxReport>) {
        while let Some(report) = reports.recv().await {
            let retryable = matches!(report.event, BoxEvent::DoorOpened { .. } | BoxEvent::DoorClosed { .. });
            let mut attempt = 0u32;
            loop {
                match self.handle_box_report(&report).await {
                    Ok(()) => break,
                    Err(Error::Contention | Error::Store(_)) if retryable && attempt < 6 => {
                        tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                        attempt += 1;
                    }
                    Err(e) => {
                        tracing::error!(box_id = %report.box_id, event = ?report.event, error = %e, "box event not handled");
                        if matches!(report.event, BoxEvent::DocumentRead { .. })
                            && let Ok(driver) = self.driver(&report.box_id)
                        {
                            let _ = driver.return_document().await;
                        }
                        break;
                    }
                }
            }
        }
    }

    pub async fn handle_box_report(&self, report: &BoxReport) -> Result<()> {
        match &report.event {
            BoxEvent::DoorOpened { compartment } => self.door_opened(&report.box_id, *compartment).await,
            BoxEvent::DoorClosed { compartment } => self.door_closed(&report.box_id, *compartment).await,
            BoxEvent::DocumentRead { mrz } => self.document_read(&report.box_id, mrz).await,
            BoxEvent::Fault { detail } => {
                tracing::warn!(box_id = %report.box_id, %detail, "box fault");
                self.audit_box(&report.box_id, "box_fault", json!({ "detail": detail })).await
            }
        }
    }

    async fn door_opened(&self, box_id: &BoxId, c: CompartmentNo) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let pickup = tx.pickup_in_compartment(box_id, c).await?;
        match pickup {
            Some(mut p) if p.status == PickupStatus::Depositing || p.claimed_by.is_some() => {
                p.door_opened_at = Some(now);
                p.updated_at = now;
                if !tx.update_pickup(&p).await? {
                    return Err(Error::Contention);
                }
            }
            _ => {
                tracing::warn!(%box_id, compartment = %c, "door opened without a loading or a claim");
                tx.append_audit(&audit(box_id, now, "door_opened_unexpectedly", json!({ "compartment": c.get() })))
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn door_closed(&self, box_id: &BoxId, c: CompartmentNo) -> Result<()> {
        let now = self.clock.now();
        let actor = Actor::Box(box_id.clone());
        let mut tx = self.store.begin().await?;
        let Some(pickup) = tx.pickup_in_compartment(box_id, c).await? else {
            tx.append_audit(&audit(box_id, now, "door_closed_empty", json!({ "compartment": c.get() }))).await?;
            tx.commit().await?;
            return Ok(());
        };
        if pickup.door_opened_at.is_none() {
            tx.append_audit(&audit(box_id, now, "door_closed_unopened", json!({ "compartment": c.get() }))).await?;
            tx.commit().await?;
            return Ok(());
        }
        let after = match (pickup.status, pickup.claimed_by.clone()) {
            (PickupStatus::Depositing, _) => {
                let event = PickupEvent::DepositCompleted { pickup_window: self.policy.pickup_window };
                let (_, after) = self.apply(tx.as_mut(), &pickup, event, &actor, None).await?;
                after
            }
            (PickupStatus::Ready, Some(session_id)) => {
                let (_, after) = self.apply(tx.as_mut(), &pickup, PickupEvent::HandedOver, &actor, None).await?;
                if let Some(mut session) = tx.session(&session_id).await?
                    && session.state.current().is_some_and(|q| q.pickup == pickup.id)
                {
                    session.state.apply(SessionEvent::DoorClosed, now, &self.policy.session)?;
                    // Skip what can no longer be handed out here, so the rest of a family's run goes on.
                    while let Some(next) = session.state.current().map(|q| q.pickup.clone()) {
                        let claimable = tx
                            .pickup(&next)
                            .await?
                            .is_some_and(|p| p.status == PickupStatus::Ready && !p.locked && p.claimed_by.is_none());
                        if claimable {
                            break;
                        }
                        session.state.apply(SessionEvent::Skip, now, &self.policy.session)?;
                    }
                    save(tx.as_mut(), &mut session).await?;
                }
                tracing::info!(pickup = %pickup.id, "document handed over");
                after
            }
            _ => {
                tx.append_audit(&audit(box_id, now, "door_closed", json!({ "compartment": c.get() }))).await?;
                Vec::new()
            }
        };
        tx.commit().await?;
        self.after_commit(after).await
    }

    async fn audit_box(&self, box_id: &BoxId, action: &'static str, detail: serde_json::Value) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.append_audit(&audit(box_id, self.clock.now(), action, detail)).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn audit(
    box_id: &BoxId,
    at: chrono::DateTime<chrono::Utc>,
    action: &'static str,
    detail: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry { at, actor: Actor::Box(box_id.clone()).to_string(), action, object: format!("box:{box_id}"), detail }
}
