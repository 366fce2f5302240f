//! The citizen's session at the kiosk panel: phone, PIN, third factor, the compartment opens.
//!
//! The server keeps the session and decides each step (`abholbox_core::kiosk`); the panel only asks
//! what comes next. Every input is handled in one transaction that also writes the session's new
//! state, so a refused input is counted even though the request answers with an error. The phone step
//! never looks anything up: whether a number has a pickup is only decided together with the PIN, and
//! every failure there is one outcome (`abholbox_core::factors`). Every refused factor is an audit
//! entry naming the factor, the session and the panel, never the value.

mod panel;
mod third_factor;

pub(crate) use third_factor::pin_issue;

pub use panel::{BoxShape, PanelHelp};

use abholbox_core::document::DocumentKind;
use abholbox_core::factors::{PinCandidate, PinVerdict, judge_pin};
use abholbox_core::ids::{BoxId, CompartmentNo, SessionId};
use abholbox_core::kiosk::{EndReason, SessionEvent, SessionState, Step, StepError};
use abholbox_core::language::PanelLanguage;
use abholbox_core::phone::PhoneNumber;
use abholbox_core::pickup::PickupEvent;
use abholbox_store::{NewAuditEntry, SessionRecord, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::tokens::Principal;
use crate::{Actor, Error, Result, Service};

/// A compartment opened for the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCompartment {
    pub number: CompartmentNo,
    pub label: String,
    /// Where it is, for the panel's map and for saying it in words.
    pub module: String,
    /// 1 = top row of its module.
    pub row: u32,
    /// 1 = leftmost column of its module.
    pub column: u32,
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
    /// At `collect`: the door has stood open for half the collect timeout, and the panel should ask
    /// the citizen to close it (before staff are alerted at the full timeout).
    pub close_door_reminder: bool,
    /// The language the citizen chose.
    pub language: PanelLanguage,
    /// Grows with every change to the session, so a panel can wait for any change, not only a step.
    pub version: i64,
}

impl Service {
    /// Starts a session on the kiosk's panel, within the site's hours. A panel serves one citizen at a
    /// time: a new session ends the panel's earlier ones that have not opened a compartment (the
    /// previous citizen walked away), so that what the slot reads goes to the person standing there.
    pub async fn start_session(&self, kiosk: &Principal, language: PanelLanguage) -> Result<SessionView> {
        self.retrying(|| self.start_session_once(kiosk, language)).await
    }

    async fn start_session_once(&self, kiosk: &Principal, language: PanelLanguage) -> Result<SessionView> {
        let Principal::Kiosk { token_id, box_id, panel } = kiosk else {
            return Err(Error::Forbidden);
        };
        let now = self.clock.now();
        let mut bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        let session = SessionRecord {
            id: SessionId::from_random(bytes),
            box_id: box_id.clone(),
            token_id: token_id.clone(),
            panel: panel.clone(),
            state: SessionState::new(now),
            phone_hash: None,
            last_error: None,
            language,
            created_at: now,
            version: 1,
        };
        if self.driver(box_id)?.out_of_order() {
            return Err(Error::OutOfOrder);
        }
        let mut tx = self.store.begin().await?;
        self.ensure_open(tx.as_mut(), box_id).await?;
        if tx.panel(box_id, panel).await?.is_none() {
            // The panel was removed from the box's layout; its tokens drive nothing any more.
            return Err(Error::Forbidden);
        }
        for mut earlier in tx.open_sessions_of_panel(box_id, panel).await? {
            earlier.state.apply(SessionEvent::Cancel, now, &self.policy.session)?;
            earlier.last_error = Some("superseded".into());
            save(tx.as_mut(), &mut earlier).await?;
        }
        tx.insert_session(&session).await?;
        tx.commit().await?;
        self.view(&session).await
    }

    /// The session as it stands; ends it first if it has been idle too long. While a PIN step of it
    /// is being answered, it waits until that answer is due, so that no read shows a refusal sooner
    /// than the refusal itself does.
    pub async fn session(&self, kiosk: &Principal, id: &SessionId) -> Result<SessionView> {
        self.waiting.until_answered(id.as_str()).await;
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

    /// Reads a session for a change, ending it if idle. Another panel's session is not found.
    async fn load(&self, tx: &mut dyn Tx, kiosk: &Principal, id: &SessionId) -> Result<SessionRecord> {
        let mut session = tx.session(id).await?.ok_or(Error::NotFound("session"))?;
        check_owner(kiosk, &session)?;
        self.expire_if_idle(tx, &mut session).await?;
        Ok(session)
    }

    /// Ends the session if it has been idle past the limit, and writes that; returns whether it did.
    /// Read by its panel or swept by housekeeping, an idle session ends the same way.
    pub(crate) async fn expire_if_idle(&self, tx: &mut dyn Tx, session: &mut SessionRecord) -> Result<bool> {
        if !session.state.expire_if_idle(self.clock.now(), &self.policy.session) {
            return Ok(false);
        }
        session.last_error = Some("timeout".into());
        save(tx, session).await?;
        Ok(true)
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
                && let Some(record) = self.store.compartment(&b, c).await?
            {
                compartments.push(OpenCompartment {
                    number: c,
                    label: record.label,
                    module: record.module,
                    row: record.row,
                    column: record.column,
                });
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
            close_door_reminder: state.step == Step::Collect
                && self.clock.now() - state.last_activity > self.policy.session.collect_timeout / 2,
            language: session.language,
            version: session.version,
        })
    }

    /// Step 1: the phone number. Only its form is checked; nothing is looked up yet.
    pub async fn enter_phone(&self, kiosk: &Principal, id: &SessionId, phone: &str) -> Result<SessionView> {
        self.retrying(|| self.enter_phone_once(kiosk, id, phone)).await
    }

    async fn enter_phone_once(&self, kiosk: &Principal, id: &SessionId, phone: &str) -> Result<SessionView> {
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

    /// Step 2: the PIN from the SMS. The PIN is checked against every document waiting for the number;
    /// the core judges what opens and what counts against whom (a pickup that reaches its limit locks).
    /// A wrong PIN, an unknown number and a locked document answer alike, byte for byte.
    ///
    /// The work differs (a known number's wrong PIN also counts against its documents), so every
    /// refusal waits until [`crate::Policy::pin_step_floor`] has passed since the request came in.
    /// An accepted PIN answers at once: its answer differs in content from every refusal and reaches
    /// only whoever holds the PIN, whom its timing tells at most whether wrong PINs came before.
    pub async fn enter_pin(&self, kiosk: &Principal, id: &SessionId, pin: &str) -> Result<SessionView> {
        let answer_at = tokio::time::Instant::now() + self.policy.pin_step_floor;
        let _reads_wait = self.waiting.answer_due(id.as_str(), answer_at);
        let answer = self.retrying(|| self.enter_pin_once(kiosk, id, pin)).await;
        if answer.is_err() {
            tokio::time::sleep_until(answer_at).await;
        }
        answer
    }

    async fn enter_pin_once(&self, kiosk: &Principal, id: &SessionId, pin: &str) -> Result<SessionView> {
        let pin = self.policy.pin.parse(pin).map_err(|e| Error::Invalid { field: "pin", message: e.to_string() })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        if session.state.step != Step::Pin {
            return Err(StepError::WrongStep { step: session.state.step.as_str(), event: "pin" }.into());
        }
        self.check_panel(tx.as_mut(), &session, now).await?;
        let phone_hash = session.phone_hash.clone().map(|h| h.hash).unwrap_or_default();
        let waiting = tx.ready_pickups_for_phone(&session.box_id, &phone_hash).await?;
        if waiting.is_empty() {
            self.keys.verify_pin_against_nothing(&pin);
        }
        let candidates: Vec<PinCandidate> = waiting
            .iter()
            .map(|p| PinCandidate {
                pickup: p.id.clone(),
                factor: p.third_factor,
                state: p.state(),
                pin_matches: p.pin.as_ref().is_some_and(|h| self.keys.verify_pin(h, &pin)),
            })
            .collect();
        let actor = kiosk_actor(&session);
        let outcome = match judge_pin(&candidates, now) {
            PinVerdict::Accepted(mut queue) => {
                let site = match tx.box_record(&session.box_id).await? {
                    Some(b) => tx.site(&b.site).await?,
                    None => None,
                };
                let asks = site.map(|s| s.pin_letter_kinds).unwrap_or_default();
                for q in &mut queue {
                    let pickup = waiting.iter().find(|p| p.id == q.pickup);
                    q.pin_letter = pickup.is_some_and(|p| asks.contains(&p.document_kind));
                    q.pin_issue = pickup.and_then(|p| p.pin.as_ref()).map(abholbox_store::PinHash::issue);
                }
                for p in waiting.iter().filter(|p| queue.iter().any(|q| q.pickup == p.id)) {
                    if p.failed_pin_attempts > 0 {
                        self.apply(tx.as_mut(), p, PickupEvent::PinAccepted, &actor, None).await?;
                    }
                }
                session.state.apply(SessionEvent::PinAccepted(queue), now, &self.policy.session)?;
                session.phone_hash = None;
                session.last_error = None;
                Ok(())
            }
            PinVerdict::Refused { count_against } => {
                for p in waiting.iter().filter(|p| count_against.contains(&p.id)) {
                    let (counted, _) = self.apply(tx.as_mut(), p, PickupEvent::PinRefused, &actor, None).await?;
                    if counted.locked {
                        tracing::warn!(pickup = %p.id, "pickup locked after too many wrong PINs");
                    }
                }
                session.state.apply(SessionEvent::PinRejected, now, &self.policy.session)?;
                session.last_error = Some(Error::PhoneOrPinWrong.code().into());
                self.refused(tx.as_mut(), &session, "pin", None, now).await?;
                Err(Error::PhoneOrPinWrong)
            }
        };
        save(tx.as_mut(), &mut session).await?;
        tx.commit().await?;
        outcome?;
        self.view(&session).await
    }

    /// The citizen gives up; the session ends. Not possible while a door is open.
    pub async fn cancel_session(&self, kiosk: &Principal, id: &SessionId) -> Result<SessionView> {
        self.retrying(|| self.cancel_session_once(kiosk, id)).await
    }

    async fn cancel_session_once(&self, kiosk: &Principal, id: &SessionId) -> Result<SessionView> {
        let mut tx = self.store.begin().await?;
        let mut session = self.load(tx.as_mut(), kiosk, id).await?;
        ensure_open(&session)?;
        session.state.apply(SessionEvent::Cancel, self.clock.now(), &self.policy.session)?;
        save(tx.as_mut(), &mut session).await?;
        tx.commit().await?;
        self.view(&session).await
    }
}

/// The actor of what a session does: the panel, by its token.
fn kiosk_actor(session: &SessionRecord) -> Actor {
    Actor::Kiosk(session.box_id.clone(), session.token_id.clone())
}

/// A session belongs to the panel (token) that started it; to any other it does not exist.
fn check_owner(kiosk: &Principal, session: &SessionRecord) -> Result<()> {
    match kiosk {
        Principal::Kiosk { token_id, .. } if *token_id == session.token_id => Ok(()),
        _ => Err(Error::NotFound("session")),
    }
}

fn ensure_open(session: &SessionRecord) -> Result<()> {
    if session.state.step.is_over() { Err(Error::SessionOver(session.state.ended)) } else { Ok(()) }
}

impl Service {
    /// Records a refused factor: which one, in which session, at which panel, and why (never the
    /// value); counts it against the panel, and raises an alarm when the panel or its whole site
    /// crosses its threshold.
    pub(crate) async fn refused(
        &self,
        tx: &mut dyn Tx,
        session: &SessionRecord,
        factor: &'static str,
        pickup: Option<&abholbox_core::ids::PickupId>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let detail = json!({
            "factor": factor,
            "session": session.id.as_str(),
            "panel": session.panel.as_str(),
            "token": session.token_id,
            "outcome": session.last_error,
            "pickup": pickup.map(|p| p.as_str()),
        });
        tx.append_audit(&NewAuditEntry {
            at,
            actor: kiosk_actor(session).to_string(),
            action: "factor_refused",
            object: format!("session:{}", session.id),
            detail,
        })
        .await?;
        let limits = self.policy.panel;
        tx.record_panel_refusal(&session.box_id, &session.panel, at).await?;
        let (at_panel, _) = tx.panel_refusals(&session.box_id, &session.panel, at - limits.window).await?;
        if limits.panel_alarm(at_panel) {
            self.alarm(tx, session, "panel_refusals", Some(&session.panel), at_panel, limits.window, at).await?;
        }
        let at_site = tx.site_refusals(&session.box_id, at - limits.site_window).await?;
        if limits.site_alarm(at_site) {
            self.alarm(tx, session, "site_refusals", None, at_site, limits.site_window, at).await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn alarm(
        &self,
        tx: &mut dyn Tx,
        session: &SessionRecord,
        kind: &'static str,
        panel: Option<&abholbox_core::ids::PanelId>,
        refusals: u32,
        within: chrono::Duration,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let Some(site) = tx.box_record(&session.box_id).await?.map(|b| b.site) else { return Ok(()) };
        let alarm = abholbox_store::NewAlarm {
            kind,
            site,
            box_id: Some(session.box_id.clone()),
            panel: panel.cloned(),
            compartment: None,
            at,
            detail: json!({ "refusals": refusals, "within_minutes": within.num_minutes() }),
        };
        if tx.raise_alarm(&alarm).await? {
            tracing::warn!(kind, box_id = %session.box_id, refusals, "alarm raised for staff");
        }
        Ok(())
    }

    /// Refuses the next PIN or birth date at a panel that must wait after its recent refusals.
    pub(crate) async fn check_panel(&self, tx: &mut dyn Tx, session: &SessionRecord, now: DateTime<Utc>) -> Result<()> {
        let limits = self.policy.panel;
        let (refusals, last) = tx.panel_refusals(&session.box_id, &session.panel, now - limits.window).await?;
        match limits.wait_until(refusals, last, now) {
            // Rounded up: a panel that waits as long as it is told is never refused again.
            Some(until) => {
                Err(Error::PanelCoolingDown { retry_after_seconds: ((until - now).num_milliseconds() + 999) / 1000 })
            }
            None => Ok(()),
        }
    }
}

/// Writes a session if nobody else changed it meanwhile.
pub(crate) async fn save(tx: &mut dyn Tx, session: &mut SessionRecord) -> Result<()> {
    // A session that is over needs the number it was typed with no longer.
    if matches!(session.state.step, Step::Done | Step::Ended) {
        session.phone_hash = None;
    }
    if !tx.update_session(session).await? {
        return Err(Error::Contention);
    }
    session.version += 1;
    Ok(())
}
