//! Step 3: the old document in the slot, or the birth date; then the claim and the opening.
//!
//! The core judges what was shown (`abholbox_core::factors`): a locked pickup answers alike whatever
//! was shown, a wrong value counts against the pickup across sessions, and only a match claims the
//! document. The claim is the one conditional write that makes a hand-over exclusive; it commits
//! before the box is told to open, and the opening runs as work in flight that nobody can cut off.

use abholbox_core::compartment::CompartmentState;
use abholbox_core::factors::{Shown, ThirdFactorVerdict, judge_third_factor};
use abholbox_core::ids::{BoxId, SessionId, SlotNo};
use abholbox_core::kiosk::{SessionEvent, Step, StepError};
use abholbox_core::personal::{BirthDate, ThirdFactor};
use abholbox_core::pickup::{EventKind, LockFailure, PickupEvent, TransitionError};
use abholbox_store::{OldDocumentRecord, PickupRecord, SessionRecord, Tx};
use serde_json::json;

use super::{SessionView, ensure_open, kiosk_actor, save};
use crate::history::{AfterCommit, record};
use crate::secrets::secrets_equal;
use crate::tokens::Principal;
use crate::{Actor, Error, Result, Service};

/// How a third factor was settled within its transaction.
enum Settled {
    /// The document is claimed; open its compartment after the commit.
    Claimed(Box<PickupRecord>, Vec<AfterCommit>),
    /// Nothing opens; the outcome to answer with.
    Refused(Error),
}

/// The old document on its way to the bin once the compartment has opened.
struct OldDocument {
    slot: SlotNo,
    record: OldDocumentRecord,
}

impl Service {
    /// Step 3 without an old document: the birth date.
    pub async fn enter_birth_date(&self, kiosk: &Principal, id: &SessionId, birth_date: &str) -> Result<SessionView> {
        self.retrying(|| self.enter_birth_date_once(kiosk, id, birth_date)).await
    }

    async fn enter_birth_date_once(&self, kiosk: &Principal, id: &SessionId, birth_date: &str) -> Result<SessionView> {
        let today = self.clock.now().date_naive();
        let typed = BirthDate::parse(birth_date, today)
            .map_err(|e| Error::Invalid { field: "birth_date", message: e.to_string() })?;
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        let current = match (session.state.step, session.state.current()) {
            (Step::BirthDate, Some(c)) => c.pickup.clone(),
            (step, _) => return Err(StepError::WrongStep { step: step.as_str(), event: "birth_date" }.into()),
        };
        self.check_panel(tx.as_mut(), &session, self.clock.now()).await?;
        let pickup = tx.pickup(&current).await?;
        let stored = self.personal_data(tx.as_mut(), &current).await?.and_then(|p| p.birth_date).unwrap_or_default();
        let shown = if secrets_equal(&typed.iso(), &stored) { Shown::Matching } else { Shown::Different };
        let settled = self
            .settle_third_factor(
                tx.as_mut(),
                &mut session,
                pickup,
                ThirdFactor::BirthDate,
                shown,
                Error::BirthDateWrong,
            )
            .await?;
        tx.commit().await?;
        match settled {
            Settled::Refused(e) => Err(e),
            Settled::Claimed(pickup, after) => {
                let this = self.clone();
                let session_id = session.id.clone();
                self.in_flight(async move { this.finish_claim(session_id, *pickup, after, None).await })
                    .await
                    .map_err(|e| Error::Box(abholbox_box::DriverError::Unreachable(e.to_string())))??;
                let session = self.store.session(id).await?.ok_or(Error::NotFound("session"))?;
                self.view(&session).await
            }
        }
    }

    /// Step 3 with an old document: a slot's reader read it. It reaches only the session waiting on
    /// that slot's panel, and is kept for destruction only once the compartment has opened; in every
    /// other case it is given back.
    pub(crate) async fn document_read(&self, box_id: &BoxId, slot: SlotNo, mrz: &str) -> Result<()> {
        self.retrying(|| self.document_read_once(box_id, slot, mrz)).await
    }

    async fn document_read_once(&self, box_id: &BoxId, slot: SlotNo, mrz: &str) -> Result<()> {
        let now = self.clock.now();
        let driver = self.driver(box_id)?.clone();
        let give_back = || async { driver.return_document(slot).await.map_err(Error::Box) };
        let Some(panel) = self.store.panels(box_id).await?.into_iter().find(|p| p.reader_slot == slot) else {
            tracing::warn!(%box_id, %slot, "document read in a slot no panel is configured for; given back");
            return give_back().await;
        };
        let mut tx = self.store.begin().await?;
        let Some(mut session) = tx.session_waiting_for_document(box_id, &panel.id).await? else {
            tx.commit().await?;
            tracing::info!(%box_id, %slot, "document inserted with no session waiting at its panel; given back");
            return give_back().await;
        };
        if session.state.expire_if_idle(now, &self.policy.session) {
            session.last_error = Some("timeout".into());
            save(tx.as_mut(), &mut session).await?;
            tx.commit().await?;
            return give_back().await;
        }
        let Some(current) = session.state.current().map(|c| c.pickup.clone()) else {
            tx.commit().await?;
            return give_back().await;
        };
        let pickup = tx.pickup(&current).await?;
        let on_record =
            self.personal_data(tx.as_mut(), &current).await?.and_then(|p| p.old_document_number).unwrap_or_default();
        let read = abholbox_core::mrz::Mrz::parse(mrz, now.date_naive()).ok();
        let shown = match &read {
            None => Shown::Unreadable,
            Some(r) if secrets_equal(r.document_number(), &on_record) => Shown::Matching,
            Some(_) => Shown::Different,
        };
        let refusal = Error::OldDocumentRefused { unreadable: read.is_none() };
        let settled = self
            .settle_third_factor(tx.as_mut(), &mut session, pickup, ThirdFactor::OldDocument, shown, refusal)
            .await?;
        tx.commit().await?;
        match (settled, read) {
            (Settled::Claimed(pickup, after), Some(read)) => {
                let old = OldDocument {
                    slot,
                    record: OldDocumentRecord {
                        box_id: box_id.clone(),
                        sealed: self.seal_old_document(&current, read.document_number())?,
                        pickup: current,
                        taken_at: now,
                    },
                };
                // Not awaited: the box's report loop must keep draining (the door's own reports among
                // them) while the compartment opens.
                let this = self.clone();
                let session = session.id.clone();
                self.in_flight_detached(async move {
                    if let Err(e) = this.finish_claim(session, *pickup, after, Some(old)).await {
                        tracing::error!(error = %e, "hand-over after an old document did not complete");
                    }
                });
                Ok(())
            }
            _ => {
                tracing::info!(session = %session.id, outcome = ?session.last_error, "old document not accepted; given back");
                give_back().await
            }
        }
    }

    /// Decides a third factor for the session's current document and writes what follows: the claim,
    /// or the refusal counted against the session and (when it says something) against the pickup.
    /// `refusal` is the answer to a wrong value that does not lock.
    async fn settle_third_factor(
        &self,
        tx: &mut dyn Tx,
        session: &mut SessionRecord,
        pickup: Option<PickupRecord>,
        factor: ThirdFactor,
        shown: Shown,
        refusal: Error,
    ) -> Result<Settled> {
        let now = self.clock.now();
        let limits = self.policy.session;
        // A PIN sent anew since the session was let in (a corrected number, a lost SMS) leaves the
        // document to whoever holds the new one.
        let queued = session.state.current().cloned();
        let pickup = pickup.filter(|p| queued.is_none_or(|q| q.let_in_with(pin_issue(p).as_deref())));
        let verdict = match &pickup {
            Some(p) => judge_third_factor(&p.state(), shown, now),
            None => ThirdFactorVerdict::Unavailable,
        };
        let outcome = match (verdict, pickup) {
            (ThirdFactorVerdict::Claim, Some(p)) => return self.claim(tx, session, &p).await,
            (ThirdFactorVerdict::Refused { counts }, Some(p)) => {
                let locked_now = if counts {
                    let actor = kiosk_actor(session);
                    let (counted, _) = self.apply(tx, &p, PickupEvent::ThirdFactorRefused, &actor, None).await?;
                    if counted.locked {
                        tracing::warn!(pickup = %p.id, "pickup locked after too many wrong third factors");
                    }
                    counted.locked
                } else {
                    false
                };
                if locked_now {
                    session.state.apply(SessionEvent::PickupLocked, now, &limits)?;
                    Error::Locked
                } else {
                    session.state.apply(SessionEvent::ThirdFactorRejected, now, &limits)?;
                    refusal
                }
            }
            (ThirdFactorVerdict::Locked, _) => {
                session.state.apply(SessionEvent::PickupLocked, now, &limits)?;
                Error::Locked
            }
            (ThirdFactorVerdict::Unavailable, _) | (_, None) => {
                session.state.apply(SessionEvent::Unavailable, now, &limits)?;
                Error::NotAvailable
            }
        };
        session.last_error = Some(outcome.code().to_owned());
        // A document gone meanwhile (another panel won the race, staff cancelled it) refused no
        // factor: it neither slows the panel down nor counts towards its alarm.
        if !matches!(outcome, Error::NotAvailable) {
            let current = session.state.queue.get(session.state.position).map(|q| q.pickup.clone());
            self.refused(tx, session, factor.as_str(), current.as_ref(), now).await?;
        }
        save(tx, session).await?;
        Ok(Settled::Refused(outcome))
    }

    /// Claims the document for the session: the one write that makes a hand-over exclusive. When
    /// another session got there first, this session ends and says so.
    async fn claim(&self, tx: &mut dyn Tx, session: &mut SessionRecord, pickup: &PickupRecord) -> Result<Settled> {
        let now = self.clock.now();
        if let (Some(box_id), Some(c)) = (&pickup.box_id, pickup.compartment) {
            // A compartment whose controller is silent, blocked after its door was forced, or open for
            // service (its door's close would be taken for the service's) is not opened: the citizen
            // goes to the counter, and nothing is claimed.
            tx.lock_compartment(box_id, c).await?;
            let blocked = !self.driver(box_id)?.can_open(c)
                || tx.compartment(box_id, c).await?.is_some_and(|r| r.state == CompartmentState::Defective)
                || tx.open_service_opening(box_id, c).await?.is_some();
            if blocked {
                session.state.apply(SessionEvent::Unavailable, now, &self.policy.session)?;
                session.last_error = Some("compartment_unavailable".into());
                save(tx, session).await?;
                return Ok(Settled::Refused(Error::NotAvailable));
            }
        }
        let event = PickupEvent::Claimed { session: session.id.clone() };
        let settled = match self.apply(tx, pickup, event, &kiosk_actor(session), None).await {
            Ok((claimed, after)) => {
                session.state.apply(SessionEvent::ThirdFactorAccepted, now, &self.policy.session)?;
                session.last_error = None;
                Settled::Claimed(Box::new(claimed), after)
            }
            Err(Error::Transition(TransitionError::Locked)) => {
                session.state.apply(SessionEvent::PickupLocked, now, &self.policy.session)?;
                session.last_error = Some(Error::Locked.code().into());
                Settled::Refused(Error::Locked)
            }
            // Another writer changed the pickup since it was read: the whole step is tried again and
            // then sees what happened (claimed elsewhere, or only a counter moved).
            Err(Error::Contention) => return Err(Error::Contention),
            Err(Error::Transition(_)) => {
                session.state.apply(SessionEvent::Unavailable, now, &self.policy.session)?;
                session.last_error = Some(Error::NotAvailable.code().into());
                Settled::Refused(Error::NotAvailable)
            }
            Err(other) => return Err(other),
        };
        save(tx, session).await?;
        Ok(settled)
    }

    /// Opens the claimed compartment, then keeps the old document. If the box fails to open, the old
    /// document is given back, the pickup flagged for staff (its claim stays: after no answer the door
    /// may have opened after all) and the session ended: the citizen goes to the counter.
    async fn finish_claim(
        &self,
        session: SessionId,
        pickup: PickupRecord,
        after: Vec<AfterCommit>,
        old: Option<OldDocument>,
    ) -> Result<()> {
        let box_id = pickup.box_id.clone().ok_or(Error::Inconsistent("a claimed pickup without its box"))?;
        let driver = self.driver(&box_id)?.clone();
        if let Err(e) = self.after_commit(after).await {
            tracing::error!(pickup = %pickup.id, error = %e, "compartment did not open for hand-over");
            if let Some(old) = &old
                && let Err(slot) = driver.return_document(old.slot).await
            {
                tracing::warn!(%box_id, error = %slot, "slot did not give the old document back");
            }
            let lock = match &e {
                Error::Box(d) => d.lock_failure(),
                _ => LockFailure::NoAnswer,
            };
            if let Err(also) = self.record_claim_failure(&session, &pickup, &box_id, lock).await {
                tracing::error!(pickup = %pickup.id, error = %also, "failed opening not recorded; flagged at the next start");
            }
            return Err(e);
        }
        if let Some(old) = old {
            let kept = driver.keep_document(old.slot).await;
            let mut attempt = 0;
            while let Err(e) = self.record_old_document(&pickup, &box_id, &old, kept.as_ref().err()).await {
                attempt += 1;
                tracing::error!(pickup = %pickup.id, error = %e, attempt, "old document's fate not recorded yet");
                if attempt >= 5 {
                    return Err(e);
                }
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
        }
        Ok(())
    }

    /// Flags the pickup (its claim stays) and ends the session: the citizen goes to the counter. The
    /// session ends even when the pickup moved on meanwhile (its door closed after all).
    async fn record_claim_failure(
        &self,
        session: &SessionId,
        pickup: &PickupRecord,
        box_id: &BoxId,
        lock: LockFailure,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if let Some(p) = tx.pickup(&pickup.id).await? {
            let event = PickupEvent::ClaimFailed { lock };
            match self.apply(tx.as_mut(), &p, event, &Actor::Box(box_id.clone()), None).await {
                Ok(_) => {}
                Err(Error::Transition(e)) => {
                    tracing::info!(pickup = %p.id, error = %e, "the pickup moved on meanwhile")
                }
                Err(other) => return Err(other),
            }
        }
        if let Some(c) = pickup.compartment {
            let lock = match lock {
                LockFailure::Refused => "refused",
                LockFailure::NoAnswer => "no_answer",
            };
            let detail = json!({ "lock": lock, "pickup": pickup.id.as_str() });
            self.box_alarm(tx.as_mut(), box_id, "lock_failed", Some(c), self.clock.now(), detail).await?;
        }
        if let Some(mut s) = tx.session(session).await?
            && s.state.apply(SessionEvent::OpenFailed, self.clock.now(), &self.policy.session).is_ok()
        {
            s.last_error = Some("compartment_did_not_open".into());
            save(tx.as_mut(), &mut s).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records what became of the old document: in the bin for destruction, at the moment it went
    /// there, or left in the slot.
    async fn record_old_document(
        &self,
        pickup: &PickupRecord,
        box_id: &BoxId,
        old: &OldDocument,
        failed: Option<&abholbox_box::DriverError>,
    ) -> Result<()> {
        let now = self.clock.now();
        let actor = Actor::Box(box_id.clone());
        let mut tx = self.store.begin().await?;
        match failed {
            None => {
                tx.insert_old_document(&OldDocumentRecord { taken_at: now, ..old.record.clone() }).await?;
                let detail = json!({ "box": box_id.as_str(), "slot": old.slot.get() });
                record(tx.as_mut(), pickup, EventKind::OldDocumentKept, &actor, now, detail).await?;
            }
            Some(e) => {
                tracing::warn!(%box_id, error = %e, "slot did not take the old document in");
                let detail = json!({ "box": box_id.as_str(), "slot": old.slot.get(), "error": e.to_string() });
                record(tx.as_mut(), pickup, EventKind::OldDocumentNotKept, &actor, now, detail).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The PIN a pickup holds now, as a session remembers it.
pub(crate) fn pin_issue(pickup: &PickupRecord) -> Option<String> {
    pickup.pin.as_ref().map(abholbox_store::PinHash::issue)
}
