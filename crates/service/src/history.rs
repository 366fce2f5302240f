//! Applying a pickup transition inside a transaction, with everything that must be written with it.
//!
//! This is the one place where a state change of a pickup is persisted: the conditional write of the
//! pickup, the effects the core asks for that live in the database (compartment state, personal data,
//! PINs and their SMS), the events for the registry's feed and the audit entries, named by the core's
//! one vocabulary. Effects that talk to the box are returned, to be carried out after the commit.

use abholbox_core::compartment::{CompartmentState, Defect};
use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_core::pickup::{Effect, EventKind, PickupEvent, PickupStatus, transition};
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

/// Writes a fact of a pickup's history to the feed and the audit log. `detail` must hold nothing secret.
pub(crate) async fn record(
    tx: &mut dyn Tx,
    pickup: &PickupRecord,
    kind: EventKind,
    actor: &Actor,
    at: DateTime<Utc>,
    detail: Value,
) -> Result<()> {
    let kind = kind.as_str();
    tx.append_event(&NewEvent { pickup: pickup.id.clone(), kind, at, data: detail.clone() }).await?;
    // The audit log is kept for good and cannot be pseudonymised: the registry's reference, which
    // leads to a person, stays in the feed (deleted with the pickup) and out of the log.
    let mut detail = detail;
    if let Value::Object(fields) = &mut detail {
        fields.remove("reference");
    }
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

impl Service {
    /// Applies `event` to `pickup` (as read in this transaction) at the service's time.
    pub(crate) async fn apply(
        &self,
        tx: &mut dyn Tx,
        pickup: &PickupRecord,
        event: PickupEvent,
        actor: &Actor,
        placement: Option<(BoxId, CompartmentNo)>,
    ) -> Result<(PickupRecord, Vec<AfterCommit>)> {
        self.apply_at(tx, pickup, event, actor, placement, self.clock.now()).await
    }

    /// Applies `event` as it happened at `at` (a door event handled later still records its own
    /// moment) and writes it with its effects. `placement` is where a loading puts the document.
    pub(crate) async fn apply_at(
        &self,
        tx: &mut dyn Tx,
        pickup: &PickupRecord,
        event: PickupEvent,
        actor: &Actor,
        placement: Option<(BoxId, CompartmentNo)>,
        at: DateTime<Utc>,
    ) -> Result<(PickupRecord, Vec<AfterCommit>)> {
        let before = pickup.state();
        let t = transition(&before, &event, &self.policy.rules, at)?;
        let mut next = pickup.clone();
        next.status = t.state.status;
        next.locked = t.state.locked;
        next.claimed_by = t.state.claimed_by.clone();
        next.failed_pin_attempts = t.state.failed_pins;
        next.failed_third_factor_attempts = t.state.failed_third_factors;
        next.deadline = t.state.deadline;
        if matches!(event, PickupEvent::DepositCompleted)
            && let Some(deadline) = next.deadline
        {
            // The window ends with the local day: the date the SMS names is a whole day to come on.
            let site = tx.site(&next.site).await?.ok_or(Error::NotFound("site"))?;
            let tz: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin);
            next.deadline = Some(abholbox_core::notify::end_of_local_day(deadline, tz));
        }
        next.attention = t.state.attention;
        next.withdrawal_started_at = match (before.withdrawing, t.state.withdrawing) {
            (false, true) => Some(at),
            (_, false) => None,
            (true, true) => pickup.withdrawal_started_at,
        };
        next.updated_at = at;
        if matches!(event, PickupEvent::DepositStarted | PickupEvent::Claimed { .. } | PickupEvent::WithdrawalStarted) {
            next.handled_by = Some(self.server.to_string());
        }
        match &event {
            PickupEvent::Claimed { .. } => {
                next.claimed_at = Some(at);
                next.door_opened_at = None;
            }
            PickupEvent::ClaimReleased => {
                next.claimed_at = None;
                next.door_opened_at = None;
            }
            PickupEvent::DepositStarted => {
                let (b, c) = placement.ok_or(Error::Inconsistent("a loading without its compartment"))?;
                next.box_id = Some(b);
                next.compartment = Some(c);
                // A loading started again (cut off by a restart) keeps the opening already seen: its
                // door may stand open still, and its close completes the loading.
                if before.status == PickupStatus::AwaitingDeposit {
                    next.door_opened_at = None;
                }
            }
            // Asked again while the door is open (a retried request), the opening already seen stands,
            // so that the door's close still completes the withdrawal.
            PickupEvent::WithdrawalStarted if !before.withdrawing => next.door_opened_at = None,
            _ => {}
        }
        let place = next.box_id.clone().zip(next.compartment);
        let mut after = Vec::new();
        let mut erase = false;
        let mut drop_unsent = false;
        for effect in &t.effects {
            match *effect {
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
                Effect::FreeCompartment => {
                    if let Some((b, c)) = &place {
                        for from in [CompartmentState::Reserved, CompartmentState::Occupied] {
                            tx.set_compartment_state(b, *c, from, CompartmentState::Free).await?;
                        }
                    }
                    next.compartment = None;
                }
                Effect::RetireCompartment { lock } => {
                    if let Some((b, c)) = &place {
                        tx.retire_compartment(b, *c, CompartmentState::Reserved, Defect::from(lock)).await?;
                    }
                    next.compartment = None;
                }
                Effect::IssuePin => {
                    next.ready_at = Some(at);
                    self.issue_pin(tx, &mut next).await?;
                    after.push(AfterCommit::WakeOutbox);
                }
                Effect::ReissuePin => {
                    // The first PIN at a corrected number: now, or when its lock is lifted.
                    let first_at_number = matches!(event, PickupEvent::PhoneChanged) || next.pin.is_none();
                    self.reissue_pin(tx, &mut next, first_at_number).await?;
                    after.push(AfterCommit::WakeOutbox);
                }
                Effect::DropQueuedMessages => {
                    tx.drop_unsent_messages(&next.id, at, None).await?;
                }
                Effect::QueueReminder => self.requeue_reminder(tx, &next).await?,
                Effect::NotifyWithdrawn => {
                    self.notify_withdrawn(tx, &next).await?;
                    after.push(AfterCommit::WakeOutbox);
                }
                Effect::ForgetPin => next.pin = None,
                Effect::ErasePersonalData => {
                    next.phone_hash = None;
                    next.pin = None;
                    erase = true;
                }
                Effect::DropUnsentMessages => drop_unsent = true,
                Effect::RecordHandover { at } => next.collected_at = Some(at),
            }
        }
        if !tx.update_pickup(&next).await? {
            return Err(Error::Contention);
        }
        next.version += 1;
        if erase {
            let family = pickup.box_id.as_ref().zip(pickup.phone_hash.as_ref());
            tx.erase_personal_data(&next.id, family).await?;
        }
        if t.effects.contains(&Effect::ReissuePin) {
            self.family_follows_new_pin(tx, &next, actor, at).await?;
        }
        if drop_unsent {
            tx.drop_unsent_messages(&next.id, at, None).await?;
        } else if before.status == PickupStatus::Ready && next.status != PickupStatus::Ready {
            // Collected or expired: a reminder not sent yet would send the citizen to an empty box.
            tx.drop_unsent_messages(&next.id, at, Some("reminder")).await?;
        }
        let detail = detail(&next);
        for kind in &t.recorded {
            record(tx, &next, *kind, actor, at, detail.clone()).await?;
        }
        Ok((next, after))
    }

    /// A PIN sent anew (lost, seen by someone else, or after a lock was lifted) becomes the family's:
    /// every waiting document of the family that is not locked takes it, and later documents share
    /// it. A family has one PIN, the last one sent, and the old one stops working everywhere, as the
    /// SMS says. A document still locked keeps its PIN until its own lock is lifted.
    async fn family_follows_new_pin(
        &self,
        tx: &mut dyn Tx,
        after: &PickupRecord,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (Some(box_id), Some(phone), Some(new)) = (&after.box_id, &after.phone_hash, &after.pin) else {
            return Ok(());
        };
        for mut sibling in tx.ready_pickups_for_phone(box_id, &phone.hash).await? {
            if sibling.id == after.id || sibling.locked || sibling.pin.as_ref() == Some(new) {
                continue;
            }
            sibling.pin = Some(new.clone());
            sibling.updated_at = at;
            if !tx.update_pickup(&sibling).await? {
                return Err(Error::Contention);
            }
            record(tx, &sibling, EventKind::PinReissued, actor, at, detail(&sibling)).await?;
        }
        // The family's row holds an older PIN, which no waiting unlocked document has now: it goes,
        // and the new one takes its place.
        tx.family_pin(box_id, phone, new).await?;
        Ok(())
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

/// What the feed says about a pickup after a change: its state, never anything personal.
fn detail(p: &PickupRecord) -> Value {
    let mut detail = Map::new();
    detail.insert("status".into(), json!(p.status.as_str()));
    if let Some(b) = &p.box_id {
        detail.insert("box".into(), json!(b.as_str()));
    }
    if let Some(c) = p.compartment {
        detail.insert("compartment".into(), json!(c.get()));
    }
    if let Some(d) = p.deadline {
        detail.insert("deadline".into(), json!(d.to_rfc3339()));
    }
    if let Some(at) = p.collected_at {
        detail.insert("collected_at".into(), json!(at.to_rfc3339()));
    }
    if let Some(a) = p.attention {
        detail.insert("attention".into(), json!(a.as_str()));
    }
    if p.locked {
        detail.insert("locked".into(), json!(true));
    }
    Value::Object(detail)
}
