//! Applying a pickup transition inside a transaction, with everything that must be written with it.
//!
//! This is the one place where a state change of a pickup is persisted: the conditional write of the
//! pickup, the effects the core asks for that live in the database (compartment state, personal data,
//! the ready SMS), the event for the registry's feed and the audit entry. Effects that talk to the
//! box are returned, to be carried out after the commit.

use abholbox_core::compartment::CompartmentState;
use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_core::pickup::{Effect, PickupEvent, transition};
use abholbox_store::{NewAuditEntry, NewEvent, PickupRecord, Tx};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::{Actor, Error, Result, Service};

/// What to do once the transaction has committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterCommit {
    Open(BoxId, CompartmentNo),
    WakeOutbox,
}

/// Writes an event to the feed and the audit log. `detail` must hold nothing secret.
pub(crate) async fn record(
    tx: &mut dyn Tx,
    pickup: &PickupRecord,
    kind: &'static str,
    actor: &Actor,
    at: DateTime<Utc>,
    detail: Value,
) -> Result<()> {
    tx.append_event(&NewEvent { pickup: pickup.id.clone(), kind, at, data: detail.clone() }).await?;
    tx.append_audit(&NewAuditEntry {
        at,
        actor: actor.to_string(),
        action: kind,
        object: pickup.id.to_string(),
        detail,
    })
    .await?;
    Ok(())
}

fn event_kind(event: &PickupEvent) -> &'static str {
    match event {
        PickupEvent::DepositStarted => "deposit_started",
        PickupEvent::DepositCompleted { .. } => "ready",
        PickupEvent::DepositAbandoned => "deposit_abandoned",
        PickupEvent::Claimed { .. } => "handover_started",
        PickupEvent::HandedOver => "collected",
        PickupEvent::ClaimFailed => "handover_failed",
        PickupEvent::ClaimReleased => "handover_released",
        PickupEvent::Locked => "locked",
        PickupEvent::Unlocked => "unlocked",
        PickupEvent::Expire => "expired",
        PickupEvent::Cancel => "cancelled",
        PickupEvent::Withdrawn => "withdrawn",
    }
}

impl Service {
    /// Applies `event` to `pickup` (as read in this transaction) and writes it with its effects.
    /// `placement` is where the document goes when the event puts it into a compartment.
    pub(crate) async fn apply(
        &self,
        tx: &mut dyn Tx,
        pickup: &PickupRecord,
        event: PickupEvent,
        actor: &Actor,
        placement: Option<(BoxId, CompartmentNo)>,
    ) -> Result<(PickupRecord, Vec<AfterCommit>)> {
        let now = self.clock.now();
        let t = transition(&pickup.state(), &event, now)?;
        let mut next = pickup.clone();
        next.status = t.state.status;
        next.locked = t.state.locked;
        next.updated_at = now;
        if let PickupEvent::Claimed { session } = &event {
            next.claimed_by = Some(session.clone());
            next.claimed_at = Some(now);
            next.door_opened_at = None;
        }
        if matches!(event, PickupEvent::Unlocked) {
            next.failed_pin_attempts = 0;
            next.attention = None;
        }
        if matches!(event, PickupEvent::ClaimReleased) {
            next.claimed_by = None;
            next.claimed_at = None;
            next.door_opened_at = None;
            next.attention = None;
        }
        if matches!(event, PickupEvent::DepositStarted) {
            let (b, c) = placement.clone().ok_or(Error::Contention)?;
            next.box_id = Some(b);
            next.compartment = Some(c);
            next.door_opened_at = None;
        }
        let place = next.box_id.clone().zip(next.compartment);
        let mut after = Vec::new();
        let mut detail = Map::new();
        detail.insert("status".into(), json!(next.status.as_str()));
        if let Some((b, c)) = &place {
            detail.insert("box".into(), json!(b.as_str()));
            detail.insert("compartment".into(), json!(c.get()));
        }
        let mut free = false;
        for effect in &t.effects {
            match effect {
                Effect::OpenCompartment => {
                    if let Some((b, c)) = &place {
                        after.push(AfterCommit::Open(b.clone(), *c));
                    }
                }
                Effect::OccupyCompartment => {
                    if let Some((b, c)) = &place {
                        tx.set_compartment_state(b, *c, CompartmentState::Reserved, CompartmentState::Occupied).await?;
                    }
                }
                Effect::FreeCompartment => free = true,
                Effect::IssuePinAndNotify { deadline } => {
                    next.ready_at = Some(now);
                    next.deadline = Some(*deadline);
                    detail.insert("deadline".into(), json!(deadline.to_rfc3339()));
                    self.issue_pin(tx, &mut next).await?;
                    after.push(AfterCommit::WakeOutbox);
                }
                Effect::ErasePersonalData => {
                    next.phone_hash = None;
                    next.pin = None;
                }
                Effect::RecordHandover { at } => {
                    next.collected_at = Some(*at);
                    detail.insert("collected_at".into(), json!(at.to_rfc3339()));
                }
                Effect::FlagForStaff { reason } => {
                    next.attention = Some((*reason).to_owned());
                    detail.insert("attention".into(), json!(reason));
                }
            }
        }
        if free {
            if let Some((b, c)) = &place {
                for from in [CompartmentState::Reserved, CompartmentState::Occupied] {
                    tx.set_compartment_state(b, *c, from, CompartmentState::Free).await?;
                }
            }
            next.compartment = None;
        }
        if !tx.update_pickup(&next).await? {
            return Err(Error::Contention);
        }
        next.version += 1;
        if t.effects.contains(&Effect::ErasePersonalData) {
            tx.erase_personal_data(&next.id).await?;
        }
        record(tx, &next, event_kind(&event), actor, now, Value::Object(detail)).await?;
        Ok((next, after))
    }

    /// Carries out what a committed transaction asked for. A box that fails to open is reported to
    /// the caller, who knows what the opening was for.
    pub(crate) async fn after_commit(&self, actions: Vec<AfterCommit>) -> Result<()> {
        for action in actions {
            match action {
                AfterCommit::WakeOutbox => self.wake_outbox(),
                AfterCommit::Open(b, c) => self.driver(&b)?.open(c).await.map_err(Error::Box)?,
            }
        }
        Ok(())
    }
}
