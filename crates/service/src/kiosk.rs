//! The citizen's session at the kiosk panel: phone, PIN, third factor, the compartment opens.
//!
//! The server keeps the session and decides each step (`abholbox_core::kiosk`); the panel only asks
//! what comes next. Every input is handled in one transaction that also writes the session's new
//! state, so a refused input is counted even though the request answers with an error. The phone step
//! never looks anything up: whether a number has a pickup is only decided together with the PIN, and
//! both failures are one outcome.

use abholbox_box::DriverError;
use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, CompartmentNo, PickupId, SessionId};
use abholbox_core::kiosk::{EndReason, QueuedPickup, SessionEvent, SessionState, Step};
use abholbox_core::personal::BirthDate;
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::{PickupEvent, TransitionError};
use abholbox_store::{OldDocumentRecord, PickupRecord, SessionRecord, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::history::{AfterCommit, record};
use crate::secrets::secrets_equal;
use crate::tokens::Principal;
use crate::{Actor, Error, Result, Service};

/// A compartment opened for the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCompartment {
    pub number: CompartmentNo,
    pub label: String,
}

/// The document being handed over, as the panel may name it: its kind and its place in a family's
/// run, never whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInRun {
    /// 1-based.
    pub position: usize,
    pub of: usize,
    pub kind: DocumentKind,
}

/// What the panel needs to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: SessionId,
    pub box_id: BoxId,
    pub step: Step,
    pub ended: Option<EndReason>,
    /// At `collect`: the open compartment.
    pub compartments: Vec<OpenCompartment>,
    /// Which document of the run is being handed over, once the PIN matched.
    pub document: Option<DocumentInRun>,
    /// The last input refused, by code, for the panel to explain.
    pub last_error: Option<String>,
    /// When the session times out without input.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The outcome of checking a PIN against a number's pickups.
enum PinOutcome {
    Accepted(Vec<QueuedPickup>),
    Rejected,
    Locked,
}

impl Service {
    /// Starts a session at the kiosk's box. A panel serves one citizen at a time: a new session ends
    /// the panel's earlier ones that have not opened a compartment (the previous citizen walked away),
    /// so that what the slot reads goes to the person standing there.
    pub async fn start_session(&self, kiosk: &Principal) -> Result<SessionView> {
        let Principal::Kiosk { token_id, box_id } = kiosk else {
            return Err(Error::Forbidden);
        };
        let now = self.clock.now();
        let mut bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        let session = SessionRecord {
            id: SessionId::from_random(bytes),
            box_id: box_id.clone(),
            token_id: token_id.clone(),
            state: SessionState::new(now),
            phone_hash: None,
            last_error: None,
            created_at: now,
            version: 1,
        };
        let mut tx = self.store.begin().await?;
        for mut earlier in tx.open_sessions_of_token(token_id).await? {
            earlier.state.apply(SessionEvent::Cancel, now, &self.policy.session)?;
            earlier.last_error = Some("superseded".into());
            save(tx.as_mut(), &mut earlier).await?;
        }
        tx.insert_session(&session).await?;
        tx.commit().await?;
        self.view(&session).await
    }

    /// The session as it stands; ends it first if it has been idle too long.
    pub async fn session(&self, kiosk: &Principal, id: &SessionId) -> Result<SessionView> {
        let session = self.store.session(id).await?.ok_or(Error::NotFound("session"))?;
        check_owner(kiosk, &session)?;
        if session.state.is_idle(self.clock.now(), &self.policy.session) {
            let mut tx = self.store.begin().await?;
            let session = self.load(tx.as_mut(), kiosk, id).await?;
            tx.commit().await?;
            return self.view(&session).await;
        }
        self.view(&session).await
    }

    /// Reads a session for a change, ending it if idle. Another box's session is not found.
    async fn load(&self, tx: &mut dyn Tx, kiosk: &Principal, id: &SessionId) -> Result<SessionRecord> {
        let mut session = tx.session(id).await?.ok_or(Error::NotFound("session"))?;
        check_owner(kiosk, &session)?;
        if session.state.expire_if_idle(self.clock.now(), &self.policy.session) {
            session.last_error = Some("timeout".into());
            save(tx, &mut session).await?;
        }
        Ok(session)
    }

    async fn view(&self, session: &SessionRecord) -> Result<SessionView> {
        let state = &session.state;
        let mut compartments = Vec::new();
        let mut document = None;
        if let Some(current) = state.current()
            && let Some(p) = self.store.pickup(&current.pickup).await?
        {
            document =
                Some(DocumentInRun { position: state.position + 1, of: state.queue.len(), kind: p.document_kind });
            if state.step == Step::Collect
                && let (Some(b), Some(c)) = (p.box_id, p.compartment)
            {
                let label = self.store.compartment(&b, c).await?.map(|c| c.label).unwrap_or_default();
                compartments.push(OpenCompartment { number: c, label });
            }
        }
        let expires_at = (!state.step.is_over() && state.step != Step::Collect)
            .then(|| state.last_activity + self.policy.session.idle_timeout);
        Ok(SessionView {
            id: session.id.clone(),
            box_id: session.box_id.clone(),
            step: state.step,
            ended: state.ended,
            compartments,
            document,
            last_error: session.last_error.clone(),
            expires_at,
        })
    }

    /// Step 1: the phone number. Only its form is checked; nothing is looked up yet.
    pub async fn enter_phone(&self, kiosk: &Principal, id: &SessionId, phone: &str) -> Result<SessionView> {
        let phone = PhoneNumber::parse(phone).map_err(|e| Error::Invalid { field: "phone", message: e.to_string() })?;
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        session.state.apply(SessionEvent::PhoneEntered, self.clock.now(), &self.policy.session)?;
        session.phone_hash = Some(self.keys.phone_lookup(&phone));
        session.last_error = None;
        save(tx.as_mut(), &mut session).await?;
        tx.commit().await?;
        self.view(&session).await
    }

    /// Step 2: the PIN from the SMS. Wrong PINs count against every pickup waiting for the number;
    /// a pickup that reaches the limit is locked until a supervisor lifts the lock. A wrong PIN answers
    /// the same whether the number is unknown, known or locked; only the right PIN of a locked pickup
    /// learns that it is locked, and is sent to the counter.
    pub async fn enter_pin(&self, kiosk: &Principal, id: &SessionId, pin: &str) -> Result<SessionView> {
        let pin = self.policy.pin.parse(pin).map_err(|e| Error::Invalid { field: "pin", message: e.to_string() })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        if session.state.step != Step::Pin {
            return Err(
                abholbox_core::kiosk::StepError::WrongStep { step: session.state.step.as_str(), event: "pin" }.into()
            );
        }
        let phone_hash = session.phone_hash.clone().map(|h| h.hash).unwrap_or_default();
        let candidates: Vec<PickupRecord> = tx
            .ready_pickups_for_phone(&session.box_id, &phone_hash)
            .await?
            .into_iter()
            .filter(|p| p.claimed_by.is_none())
            .collect();
        if candidates.is_empty() {
            self.keys.verify_pin_against_nothing(&pin);
        }
        let matches: Vec<bool> =
            candidates.iter().map(|p| p.pin.as_ref().is_some_and(|h| self.keys.verify_pin(h, &pin))).collect();
        let actor = Actor::Kiosk(session.box_id.clone());
        let accepted: Vec<&PickupRecord> =
            candidates.iter().zip(&matches).filter(|(p, m)| **m && !p.locked).map(|(p, _)| p).collect();
        let outcome = if !accepted.is_empty() {
            for p in &accepted {
                if p.failed_pin_attempts > 0 {
                    let mut reset = (*p).clone();
                    reset.failed_pin_attempts = 0;
                    reset.updated_at = now;
                    if !tx.update_pickup(&reset).await? {
                        return Err(Error::Contention);
                    }
                }
            }
            PinOutcome::Accepted(
                accepted.iter().map(|p| QueuedPickup { pickup: p.id.clone(), factor: p.third_factor }).collect(),
            )
        } else if candidates.iter().zip(&matches).any(|(p, m)| *m && p.locked) {
            // Only the right PIN learns of the lock: to anyone else a locked number is any number.
            PinOutcome::Locked
        } else {
            for p in candidates.iter().filter(|p| !p.locked) {
                let mut counted = p.clone();
                counted.failed_pin_attempts += 1;
                counted.updated_at = now;
                if !tx.update_pickup(&counted).await? {
                    return Err(Error::Contention);
                }
                counted.version += 1;
                if counted.failed_pin_attempts >= self.policy.lockout_after {
                    self.apply(tx.as_mut(), &counted, PickupEvent::Locked, &actor, None).await?;
                    tracing::warn!(pickup = %p.id, "pickup locked after too many wrong PINs");
                }
            }
            PinOutcome::Rejected
        };
        let (event, error) = match outcome {
            PinOutcome::Accepted(queue) => (SessionEvent::PinAccepted(queue), None),
            PinOutcome::Rejected => (SessionEvent::PinRejected, Some(Error::PhoneOrPinWrong)),
            PinOutcome::Locked => (SessionEvent::PickupLocked, Some(Error::Locked)),
        };
        session.state.apply(event, now, &self.policy.session)?;
        session.last_error = error.as_ref().map(|e| e.code().to_owned());
        if error.is_none() {
            session.phone_hash = None;
        }
        save(tx.as_mut(), &mut session).await?;
        tx.commit().await?;
        match error {
            Some(e) => Err(e),
            None => self.view(&session).await,
        }
    }

    /// Step 3, without an old document: the birth date.
    pub async fn enter_birth_date(&self, kiosk: &Principal, id: &SessionId, birth_date: &str) -> Result<SessionView> {
        let today = self.clock.now().date_naive();
        let typed = BirthDate::parse(birth_date, today)
            .map_err(|e| Error::Invalid { field: "birth_date", message: e.to_string() })?;
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        let current = match (session.state.step, session.state.current()) {
            (Step::BirthDate, Some(c)) => c.pickup.clone(),
            (step, _) => {
                return Err(
                    abholbox_core::kiosk::StepError::WrongStep { step: step.as_str(), event: "birth_date" }.into()
                );
            }
        };
        let stored = tx.personal_data(&current).await?.and_then(|p| p.birth_date).unwrap_or_default();
        if !secrets_equal(&typed.iso(), &stored) {
            session.state.apply(SessionEvent::ThirdFactorRejected, self.clock.now(), &self.policy.session)?;
            session.last_error = Some(Error::BirthDateWrong.code().into());
            save(tx.as_mut(), &mut session).await?;
            tx.commit().await?;
            return Err(Error::BirthDateWrong);
        }
        let claimed = self.claim(tx.as_mut(), &mut session, &current).await?;
        tx.commit().await?;
        self.open_claimed(&session, claimed?, None).await?;
        self.view(&session).await
    }

    /// The citizen gives up; the session ends. Not possible while a door is open.
    pub async fn cancel_session(&self, kiosk: &Principal, id: &SessionId) -> Result<SessionView> {
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        session.state.apply(SessionEvent::Cancel, self.clock.now(), &self.policy.session)?;
        save(tx.as_mut(), &mut session).await?;
        tx.commit().await?;
        self.view(&session).await
    }

    /// Step 3 with an old document: the slot's reader read it. It is kept for destruction only when its
    /// zone is valid and its number is the one on record; otherwise it is given back.
    pub(crate) async fn document_read(&self, box_id: &BoxId, mrz: &str) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(mut session) = tx.session_waiting_for_document(box_id).await? else {
            tx.commit().await?;
            tracing::info!(%box_id, "document inserted with no session waiting; given back");
            return self.driver(box_id)?.return_document().await.map_err(Error::Box);
        };
        if session.state.expire_if_idle(now, &self.policy.session) {
            session.last_error = Some("timeout".into());
            save(tx.as_mut(), &mut session).await?;
            tx.commit().await?;
            return self.driver(box_id)?.return_document().await.map_err(Error::Box);
        }
        let Some(current) = session.state.current().map(|c| c.pickup.clone()) else {
            tx.commit().await?;
            return self.driver(box_id)?.return_document().await.map_err(Error::Box);
        };
        let on_record = tx.personal_data(&current).await?.and_then(|p| p.old_document_number).unwrap_or_default();
        let verdict = match abholbox_core::mrz::Mrz::parse(mrz, now.date_naive()) {
            Err(_) => Err("old_document_unreadable"),
            Ok(read) if secrets_equal(read.document_number(), &on_record) => Ok(read),
            Ok(_) => Err("old_document_rejected"),
        };
        let read = match verdict {
            Ok(read) => read,
            Err(code) => {
                session.state.apply(SessionEvent::ThirdFactorRejected, now, &self.policy.session)?;
                session.last_error = Some(code.into());
                save(tx.as_mut(), &mut session).await?;
                tx.commit().await?;
                tracing::info!(session = %session.id, outcome = code, "old document not accepted; given back");
                return self.driver(box_id)?.return_document().await.map_err(Error::Box);
            }
        };
        let claimed = match self.claim(tx.as_mut(), &mut session, &current).await? {
            Ok(claimed) => claimed,
            Err(refused) => {
                tx.commit().await?;
                self.driver(box_id)?.return_document().await.map_err(Error::Box)?;
                return Err(refused);
            }
        };
        tx.commit().await?;
        let old = OldDocumentRecord {
            box_id: box_id.clone(),
            pickup: current,
            document_number: read.document_number().to_owned(),
            taken_at: now,
        };
        // Not awaited: the box's event loop must keep draining reports (the door's own among them)
        // while the compartment opens.
        let this = self.clone();
        let session = session.id.clone();
        tokio::spawn(async move {
            if let Err(e) = this.finish_claim(session, claimed, Some(old)).await {
                tracing::error!(error = %e, "hand-over after an old document did not complete");
            }
        });
        Ok(())
    }

    /// Claims the current pickup for the session: the one write that makes a hand-over exclusive.
    /// When another session got there first, this session ends and says so: the inner result is the
    /// refusal, to be committed with the session's end; the outer one a failure of the store.
    async fn claim(
        &self,
        tx: &mut dyn Tx,
        session: &mut SessionRecord,
        pickup_id: &PickupId,
    ) -> Result<Result<(PickupRecord, Vec<AfterCommit>)>> {
        let now = self.clock.now();
        let pickup = tx.pickup(pickup_id).await?;
        let event = PickupEvent::Claimed { session: session.id.clone() };
        let claimed = match pickup {
            Some(p) => match self.apply(tx, &p, event, &Actor::Kiosk(session.box_id.clone()), None).await {
                Ok(done) => Ok(done),
                Err(Error::Transition(TransitionError::Locked)) => Err(Error::Locked),
                Err(Error::Transition(_) | Error::Contention) => Err(Error::NotAvailable),
                Err(other) => return Err(other),
            },
            None => Err(Error::NotAvailable),
        };
        match claimed {
            Ok(done) => {
                session.state.apply(SessionEvent::ThirdFactorAccepted, now, &self.policy.session)?;
                session.last_error = None;
                save(tx, session).await?;
                Ok(Ok(done))
            }
            Err(e) => {
                session.state.apply(SessionEvent::Unavailable, now, &self.policy.session)?;
                session.last_error = Some(e.code().into());
                save(tx, session).await?;
                Ok(Err(e))
            }
        }
    }

    /// Opens the claimed compartment after the claim committed, then keeps the old document (if the
    /// third factor was one). The work runs as its own task so that a caller who gives up (timeout,
    /// closed connection) cannot leave a committed claim half carried out.
    async fn open_claimed(
        &self,
        session: &SessionRecord,
        claimed: (PickupRecord, Vec<AfterCommit>),
        old_document: Option<OldDocumentRecord>,
    ) -> Result<()> {
        let this = self.clone();
        let session = session.id.clone();
        tokio::spawn(async move { this.finish_claim(session, claimed, old_document).await })
            .await
            .map_err(|e| Error::Box(DriverError::Unreachable(e.to_string())))?
    }

    /// If the box fails to open, the old document is given back, the pickup flagged for staff (its
    /// claim stays, so nobody gets it by retrying) and the session ended.
    async fn finish_claim(
        &self,
        session: SessionId,
        (pickup, after): (PickupRecord, Vec<AfterCommit>),
        old_document: Option<OldDocumentRecord>,
    ) -> Result<()> {
        let box_id = pickup.box_id.clone().ok_or(Error::Contention)?;
        if let Err(e) = self.after_commit(after).await {
            tracing::error!(pickup = %pickup.id, error = %e, "compartment did not open for hand-over");
            if old_document.is_some()
                && let Err(slot) = self.driver(&box_id)?.return_document().await
            {
                tracing::warn!(%box_id, error = %slot, "slot did not give the old document back");
            }
            let mut tx = self.store.begin().await?;
            if let Some(p) = tx.pickup(&pickup.id).await? {
                self.apply(tx.as_mut(), &p, PickupEvent::ClaimFailed, &Actor::System, None).await?;
            }
            if let Some(mut s) = tx.session(&session).await?
                && s.state.apply(SessionEvent::OpenFailed, self.clock.now(), &self.policy.session).is_ok()
            {
                s.last_error = Some("compartment_did_not_open".into());
                save(tx.as_mut(), &mut s).await?;
            }
            tx.commit().await?;
            return Err(e);
        }
        if let Some(old) = old_document {
            let actor = Actor::Box(box_id.clone());
            let mut tx = self.store.begin().await?;
            match self.driver(&box_id)?.keep_document().await {
                Ok(()) => {
                    tx.insert_old_document(&old).await?;
                    let detail = json!({ "box": box_id.as_str() });
                    record(tx.as_mut(), &pickup, "old_document_taken_in", &actor, old.taken_at, detail).await?;
                }
                Err(e) => {
                    tracing::warn!(%box_id, error = %e, "slot did not take the old document in");
                    let detail = json!({ "box": box_id.as_str(), "error": e.to_string() });
                    record(tx.as_mut(), &pickup, "old_document_not_kept", &actor, old.taken_at, detail).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

fn check_owner(kiosk: &Principal, session: &SessionRecord) -> Result<()> {
    match kiosk {
        Principal::Kiosk { box_id, .. } if *box_id == session.box_id => Ok(()),
        _ => Err(Error::NotFound("session")),
    }
}

fn ensure_open(session: &SessionRecord) -> Result<()> {
    if session.state.step.is_over() { Err(Error::SessionOver(session.state.ended)) } else { Ok(()) }
}

/// Writes a session if nobody else changed it meanwhile.
pub(crate) async fn save(tx: &mut dyn Tx, session: &mut SessionRecord) -> Result<()> {
    if !tx.update_session(session).await? {
        return Err(Error::Contention);
    }
    session.version += 1;
    Ok(())
}
