//! A citizen's session at the kiosk panel, as a state machine written as data.
//!
//! ```text
//! phone ─▶ pin ─▶ [pin_letter ─▶] old_document ─┐
//!                               └▶ birth_date ───┴▶ collect ─▶ (next document's steps …) ─▶ done
//! any step before collect ─▶ ended (timeout, locked, too many attempts, cancelled, unavailable)
//! collect ─▶ ended (failed, door left open, interrupted by a restart)
//! ```
//!
//! The server decides every step; the panel only shows what the session says comes next, so a
//! tampered or replayed client cannot skip a factor. A family's documents (one phone number, one PIN)
//! are walked in one session: each needs its own third factor and opens its own compartment.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::PickupId;
use crate::personal::ThirdFactor;

/// Where a session stands; the names are the public contract of the kiosk API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Phone,
    Pin,
    /// The citizen confirms having received the document's PIN letter (the eID PIN of an ID card),
    /// where the site asks for it; before the third factor, so that nobody's old document is kept
    /// for a document they then cannot take.
    PinLetter,
    OldDocument,
    BirthDate,
    Collect,
    Done,
    Ended,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Self::Phone,
        Self::Pin,
        Self::PinLetter,
        Self::OldDocument,
        Self::BirthDate,
        Self::Collect,
        Self::Done,
        Self::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Pin => "pin",
            Self::PinLetter => "pin_letter",
            Self::OldDocument => "old_document",
            Self::BirthDate => "birth_date",
            Self::Collect => "collect",
            Self::Done => "done",
            Self::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    fn for_factor(f: ThirdFactor) -> Self {
        match f {
            ThirdFactor::OldDocument => Self::OldDocument,
            ThirdFactor::BirthDate => Self::BirthDate,
        }
    }

    /// The first step of a document in the run: its PIN letter where one is asked, else its factor.
    fn first_for(q: &QueuedPickup) -> Self {
        if q.pin_letter { Self::PinLetter } else { Self::for_factor(q.factor) }
    }

    pub fn is_over(self) -> bool {
        matches!(self, Self::Done | Self::Ended)
    }
}

/// Why a session ended before `done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// No input for longer than the idle timeout.
    Timeout,
    /// The pickup is locked after too many wrong PINs: the citizen goes to the counter.
    Locked,
    /// Too many wrong PINs or third factors within this session.
    TooManyAttempts,
    /// The citizen pressed cancel or a new session replaced this one.
    Cancelled,
    /// The box could not open the compartment; staff are told.
    Failed,
    /// The document is being handed over in another session, or is no longer in the box.
    Unavailable,
    /// No door-closed event within the collect timeout; staff are told. A later close still counts.
    DoorLeftOpen,
    /// The service restarted while the compartment was open.
    Interrupted,
}

impl EndReason {
    pub const ALL: [EndReason; 8] = [
        Self::Timeout,
        Self::Locked,
        Self::TooManyAttempts,
        Self::Cancelled,
        Self::Failed,
        Self::Unavailable,
        Self::DoorLeftOpen,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Locked => "locked",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::Unavailable => "unavailable",
            Self::DoorLeftOpen => "door_left_open",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// How much a single session may try before it ends, and how long it may wait. The per-pickup lockout
/// across sessions is the pickup's rule (`crate::pickup::PickupRules`); these only stop one person from
/// trying on without starting over, and free the panel for the next citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub pin_attempts: u32,
    pub third_factor_attempts: u32,
    pub idle_timeout: Duration,
    /// How long an open compartment may wait for its door to close before staff are told.
    pub collect_timeout: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            pin_attempts: 3,
            third_factor_attempts: 3,
            idle_timeout: Duration::seconds(120),
            collect_timeout: Duration::seconds(120),
        }
    }
}

/// One document in a session's run, with the factor its holder must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedPickup {
    pub pickup: PickupId,
    pub factor: ThirdFactor,
    /// The site asks the citizen to confirm the PIN letter of this kind of document.
    #[serde(default)]
    pub pin_letter: bool,
    /// Which PIN the session was let in with (the stored PIN's salt, hex; nothing of the PIN). A PIN
    /// sent anew meanwhile (a lost SMS, a corrected number, a lifted lock) takes the document out of
    /// the session: the old PIN no longer works, also not in a session it opened before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_issue: Option<String>,
}

impl QueuedPickup {
    /// Whether the document still has the PIN this session was let in with. A session from before
    /// this was recorded (none) is taken at its word for the few minutes it lives.
    pub fn let_in_with(&self, current: Option<&str>) -> bool {
        self.pin_issue.as_deref().is_none_or(|issued| Some(issued) == current)
    }
}

/// What happened in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    PhoneEntered,
    /// The PIN matched; these documents wait for this phone number (never empty).
    PinAccepted(Vec<QueuedPickup>),
    /// Wrong PIN, no pickup for this number, or a locked pickup: one outcome on purpose.
    PinRejected,
    /// The document whose third factor is asked was locked meanwhile: the citizen goes to the counter.
    PickupLocked,
    ThirdFactorAccepted,
    ThirdFactorRejected,
    /// The current compartment's door closed after it had opened.
    DoorClosed,
    OpenFailed,
    /// The open compartment's door did not close within the collect timeout.
    DoorLeftOpen,
    /// The service restarted while the compartment was open.
    Interrupted,
    /// The document cannot be claimed: another session has it, or it left the box.
    Unavailable,
    /// The next document of a family's run can no longer be handed out here (locked, or taken in
    /// another session meanwhile); the run moves on to the one after it.
    Skip,
    Cancel,
    /// The citizen answered the panel's "are you still there?": the idle clock starts again.
    StillHere,
    /// "I have received my PIN letter", confirmed.
    PinLetterConfirmed,
}

impl SessionEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::PhoneEntered => "phone_entered",
            Self::PinAccepted(_) => "pin_accepted",
            Self::PinRejected => "pin_rejected",
            Self::PickupLocked => "pickup_locked",
            Self::ThirdFactorAccepted => "third_factor_accepted",
            Self::ThirdFactorRejected => "third_factor_rejected",
            Self::DoorClosed => "door_closed",
            Self::OpenFailed => "open_failed",
            Self::DoorLeftOpen => "door_left_open",
            Self::Interrupted => "interrupted",
            Self::Unavailable => "unavailable",
            Self::Skip => "skip",
            Self::Cancel => "cancel",
            Self::StillHere => "still_here",
            Self::PinLetterConfirmed => "pin_letter_confirmed",
        }
    }
}

/// What a session event brings, in the words of the person or kiosk that sent it: the refusal of a
/// move out of turn speaks of a PIN, not of `pin_rejected`.
fn what_event_brings(event: &str) -> &str {
    match event {
        "phone_entered" => "phone number",
        "pin" | "pin_accepted" | "pin_rejected" => "PIN",
        "birth_date" => "birth date",
        "third_factor_accepted" | "third_factor_rejected" => "old document or birth date",
        "cancel" => "cancellation",
        "door_closed" => "closing of a door",
        "pin_letter_confirmed" => "confirmation of the PIN letter",
        "still_here" => "answer to \"still there?\"",
        other => other,
    }
}

/// A move the session's rules do not allow, e.g. a PIN before the phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("the session is at step {step} and takes no {} now", what_event_brings(event))]
    WrongStep { step: &'static str, event: &'static str },
    #[error("the session is over")]
    Over,
}

/// The state of a session that its rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub step: Step,
    pub ended: Option<EndReason>,
    pub pin_attempts: u32,
    pub third_factor_attempts: u32,
    pub queue: Vec<QueuedPickup>,
    /// Index into `queue` of the document being handed over.
    pub position: usize,
    pub last_activity: DateTime<Utc>,
}

impl SessionState {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            step: Step::Phone,
            ended: None,
            pin_attempts: 0,
            third_factor_attempts: 0,
            queue: Vec::new(),
            position: 0,
            last_activity: now,
        }
    }

    /// The document whose third factor is asked or whose compartment is open.
    pub fn current(&self) -> Option<&QueuedPickup> {
        if matches!(self.step, Step::PinLetter | Step::OldDocument | Step::BirthDate | Step::Collect) {
            self.queue.get(self.position)
        } else {
            None
        }
    }

    /// Whether the session has been idle too long. A session at `collect` never times out: its door is
    /// open and the hand-over completes when the door closes, whoever closes it.
    pub fn is_idle(&self, now: DateTime<Utc>, limits: &SessionLimits) -> bool {
        !self.step.is_over() && self.step != Step::Collect && now - self.last_activity > limits.idle_timeout
    }

    /// Whether the open compartment has waited too long for its door to close.
    pub fn collect_overdue(&self, now: DateTime<Utc>, limits: &SessionLimits) -> bool {
        self.step == Step::Collect && now - self.last_activity > limits.collect_timeout
    }

    /// Ends an idle session; returns whether it did.
    pub fn expire_if_idle(&mut self, now: DateTime<Utc>, limits: &SessionLimits) -> bool {
        if self.is_idle(now, limits) {
            self.end(EndReason::Timeout);
            true
        } else {
            false
        }
    }

    /// Moves to the next document of the run, or to `done` after the last.
    fn advance(&mut self) {
        self.position += 1;
        self.third_factor_attempts = 0;
        self.step = match self.queue.get(self.position) {
            Some(next) => Step::first_for(next),
            None => Step::Done,
        };
    }

    fn end(&mut self, reason: EndReason) {
        self.step = Step::Ended;
        self.ended = Some(reason);
    }

    /// Applies an event; the state is unchanged when the move is refused.
    pub fn apply(
        &mut self,
        event: SessionEvent,
        now: DateTime<Utc>,
        limits: &SessionLimits,
    ) -> Result<Step, StepError> {
        if self.step.is_over() {
            return Err(StepError::Over);
        }
        let wrong = StepError::WrongStep { step: self.step.as_str(), event: event.name() };
        match (self.step, event) {
            (Step::Phone, SessionEvent::PhoneEntered) => self.step = Step::Pin,
            (Step::Pin, SessionEvent::PinAccepted(queue)) => {
                let first = queue.first().map(Step::first_for).ok_or(wrong)?;
                self.queue = queue;
                self.position = 0;
                self.third_factor_attempts = 0;
                self.step = first;
            }
            (Step::Pin, SessionEvent::PinRejected) => {
                self.pin_attempts += 1;
                if self.pin_attempts >= limits.pin_attempts {
                    self.end(EndReason::TooManyAttempts);
                }
            }
            (Step::OldDocument | Step::BirthDate, SessionEvent::PickupLocked) => self.end(EndReason::Locked),
            (Step::OldDocument | Step::BirthDate, SessionEvent::ThirdFactorAccepted) => self.step = Step::Collect,
            (Step::OldDocument | Step::BirthDate, SessionEvent::ThirdFactorRejected) => {
                self.third_factor_attempts += 1;
                if self.third_factor_attempts >= limits.third_factor_attempts {
                    self.end(EndReason::TooManyAttempts);
                }
            }
            (Step::Collect, SessionEvent::DoorClosed) => self.advance(),
            (Step::OldDocument | Step::BirthDate | Step::PinLetter, SessionEvent::Skip) if self.position > 0 => {
                self.advance()
            }
            (Step::PinLetter, SessionEvent::PinLetterConfirmed) => {
                let factor = self.queue.get(self.position).map(|q| q.factor).ok_or(wrong)?;
                self.step = Step::for_factor(factor);
            }
            (Step::PinLetter, SessionEvent::PickupLocked) => self.end(EndReason::Locked),
            (Step::PinLetter, SessionEvent::Unavailable) => self.end(EndReason::Unavailable),
            (Step::Collect, SessionEvent::OpenFailed) => self.end(EndReason::Failed),
            (Step::Collect, SessionEvent::DoorLeftOpen) => self.end(EndReason::DoorLeftOpen),
            (Step::Collect, SessionEvent::Interrupted) => self.end(EndReason::Interrupted),
            (Step::OldDocument | Step::BirthDate, SessionEvent::Unavailable) => self.end(EndReason::Unavailable),
            (_, SessionEvent::Cancel) if self.step != Step::Collect => self.end(EndReason::Cancelled),
            (
                Step::Phone | Step::Pin | Step::PinLetter | Step::OldDocument | Step::BirthDate,
                SessionEvent::StillHere,
            ) => {}
            _ => return Err(wrong),
        }
        self.last_activity = now;
        Ok(self.step)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
    }

    fn q(n: u8, factor: ThirdFactor) -> QueuedPickup {
        QueuedPickup { pickup: PickupId::from_random([n; 16]), factor, pin_letter: false, pin_issue: None }
    }

    fn events() -> Vec<SessionEvent> {
        vec![
            SessionEvent::PhoneEntered,
            SessionEvent::PinAccepted(vec![q(1, ThirdFactor::BirthDate)]),
            SessionEvent::PinRejected,
            SessionEvent::PickupLocked,
            SessionEvent::ThirdFactorAccepted,
            SessionEvent::ThirdFactorRejected,
            SessionEvent::DoorClosed,
            SessionEvent::OpenFailed,
            SessionEvent::DoorLeftOpen,
            SessionEvent::Interrupted,
            SessionEvent::Unavailable,
            SessionEvent::Skip,
            SessionEvent::Cancel,
            SessionEvent::StillHere,
            SessionEvent::PinLetterConfirmed,
        ]
    }

    fn at(step: Step) -> SessionState {
        let mut s = SessionState::new(t0());
        s.step = step;
        s.queue = vec![q(1, ThirdFactor::BirthDate)];
        s
    }

    /// (step, event) → step after, for a fresh session with one queued document.
    const LEGAL: &[(Step, &str, Step)] = &[
        (Step::Phone, "phone_entered", Step::Pin),
        (Step::Phone, "cancel", Step::Ended),
        (Step::Pin, "pin_accepted", Step::BirthDate),
        (Step::Pin, "pin_rejected", Step::Pin),
        (Step::Pin, "cancel", Step::Ended),
        (Step::Phone, "still_here", Step::Phone),
        (Step::Pin, "still_here", Step::Pin),
        (Step::PinLetter, "pin_letter_confirmed", Step::BirthDate),
        (Step::PinLetter, "pickup_locked", Step::Ended),
        (Step::PinLetter, "unavailable", Step::Ended),
        (Step::PinLetter, "cancel", Step::Ended),
        (Step::PinLetter, "still_here", Step::PinLetter),
        (Step::OldDocument, "still_here", Step::OldDocument),
        (Step::BirthDate, "still_here", Step::BirthDate),
        (Step::OldDocument, "pickup_locked", Step::Ended),
        (Step::OldDocument, "third_factor_accepted", Step::Collect),
        (Step::OldDocument, "third_factor_rejected", Step::OldDocument),
        (Step::OldDocument, "unavailable", Step::Ended),
        (Step::OldDocument, "cancel", Step::Ended),
        (Step::BirthDate, "pickup_locked", Step::Ended),
        (Step::BirthDate, "third_factor_accepted", Step::Collect),
        (Step::BirthDate, "third_factor_rejected", Step::BirthDate),
        (Step::BirthDate, "unavailable", Step::Ended),
        (Step::BirthDate, "cancel", Step::Ended),
        (Step::Collect, "door_closed", Step::Done),
        (Step::Collect, "open_failed", Step::Ended),
        (Step::Collect, "door_left_open", Step::Ended),
        (Step::Collect, "interrupted", Step::Ended),
    ];

    #[test]
    fn every_legal_move_is_allowed_and_every_other_refused() {
        let limits = SessionLimits::default();
        for step in Step::ALL {
            for ev in events() {
                let name = ev.name();
                let mut s = at(step);
                let before = s.clone();
                let expected = LEGAL.iter().find(|(st, e, _)| *st == step && *e == name).map(|r| r.2);
                match (expected, s.apply(ev, t0(), &limits)) {
                    (Some(want), Ok(got)) => assert_eq!(got, want, "{step:?} + {name}"),
                    (None, Err(_)) => assert_eq!(s, before, "a refused move must change nothing"),
                    (Some(_), Err(e)) => panic!("{step:?} + {name} refused: {e}"),
                    (None, Ok(got)) => panic!("{step:?} + {name} allowed into {got:?}"),
                }
            }
        }
    }

    #[test]
    fn a_move_out_of_turn_is_refused_in_the_words_of_whoever_sent_it() {
        let limits = SessionLimits::default();
        let refused = |step: Step, event: SessionEvent| at(step).apply(event, t0(), &limits).unwrap_err().to_string();
        assert_eq!(
            refused(Step::Phone, SessionEvent::PinRejected),
            "the session is at step phone and takes no PIN now"
        );
        assert_eq!(
            refused(Step::Collect, SessionEvent::PhoneEntered),
            "the session is at step collect and takes no phone number now"
        );
        assert_eq!(
            refused(Step::Pin, SessionEvent::ThirdFactorRejected),
            "the session is at step pin and takes no old document or birth date now"
        );
        let birth_date_instead = StepError::WrongStep { step: "old_document", event: "birth_date" };
        assert_eq!(birth_date_instead.to_string(), "the session is at step old_document and takes no birth date now");
        assert_eq!(
            refused(Step::Collect, SessionEvent::Cancel),
            "the session is at step collect and takes no cancellation now"
        );
    }

    #[test]
    fn a_family_is_walked_document_by_document() {
        let limits = SessionLimits::default();
        let mut s = SessionState::new(t0());
        s.apply(SessionEvent::PhoneEntered, t0(), &limits).unwrap();
        let family = vec![q(1, ThirdFactor::OldDocument), q(2, ThirdFactor::BirthDate), q(3, ThirdFactor::BirthDate)];
        assert_eq!(s.apply(SessionEvent::PinAccepted(family.clone()), t0(), &limits), Ok(Step::OldDocument));
        for (i, next) in [(0, Step::BirthDate), (1, Step::BirthDate), (2, Step::Done)] {
            assert_eq!(s.current(), Some(&family[i]));
            assert_eq!(s.apply(SessionEvent::ThirdFactorAccepted, t0(), &limits), Ok(Step::Collect));
            assert_eq!(s.apply(SessionEvent::DoorClosed, t0(), &limits), Ok(next));
        }
        assert_eq!(s.current(), None);
    }

    #[test]
    fn a_session_keeps_a_document_only_while_it_has_the_pin_it_was_let_in_with() {
        let mut queued = q(1, ThirdFactor::BirthDate);
        assert!(queued.let_in_with(Some("aa")), "a session from before the PIN was recorded");
        queued.pin_issue = Some("aa".into());
        assert!(queued.let_in_with(Some("aa")));
        assert!(!queued.let_in_with(Some("bb")), "a PIN sent anew");
        assert!(!queued.let_in_with(None), "a PIN forgotten");
    }

    #[test]
    fn a_family_run_skips_a_document_that_went_elsewhere() {
        let limits = SessionLimits::default();
        let mut s = at(Step::Collect);
        s.queue = vec![q(1, ThirdFactor::BirthDate), q(2, ThirdFactor::OldDocument), q(3, ThirdFactor::BirthDate)];
        assert_eq!(s.apply(SessionEvent::DoorClosed, t0(), &limits), Ok(Step::OldDocument));
        assert_eq!(s.apply(SessionEvent::Skip, t0(), &limits), Ok(Step::BirthDate));
        assert_eq!(s.current().map(|c| c.pickup.clone()), Some(q(3, ThirdFactor::BirthDate).pickup));
        assert_eq!(s.apply(SessionEvent::ThirdFactorAccepted, t0(), &limits), Ok(Step::Collect));
        assert_eq!(s.apply(SessionEvent::DoorClosed, t0(), &limits), Ok(Step::Done));
        let mut first = at(Step::BirthDate);
        assert!(first.apply(SessionEvent::Skip, t0(), &limits).is_err(), "the first document is never skipped");
    }

    #[test]
    fn too_many_wrong_pins_end_the_session() {
        let limits = SessionLimits::default();
        let mut s = at(Step::Pin);
        assert_eq!(s.apply(SessionEvent::PinRejected, t0(), &limits), Ok(Step::Pin));
        assert_eq!(s.apply(SessionEvent::PinRejected, t0(), &limits), Ok(Step::Pin));
        assert_eq!(s.apply(SessionEvent::PinRejected, t0(), &limits), Ok(Step::Ended));
        assert_eq!(s.ended, Some(EndReason::TooManyAttempts));
        assert_eq!(s.apply(SessionEvent::PhoneEntered, t0(), &limits), Err(StepError::Over));
    }

    #[test]
    fn third_factor_attempts_are_limited_per_document() {
        let limits = SessionLimits::default();
        let mut s = at(Step::BirthDate);
        for _ in 0..2 {
            s.apply(SessionEvent::ThirdFactorRejected, t0(), &limits).unwrap();
        }
        assert_eq!(s.apply(SessionEvent::ThirdFactorRejected, t0(), &limits), Ok(Step::Ended));
    }

    #[test]
    fn idle_sessions_time_out_but_an_open_door_waits() {
        let limits = SessionLimits::default();
        let later = t0() + Duration::seconds(121);
        let mut s = at(Step::Pin);
        assert!(!s.expire_if_idle(t0() + Duration::seconds(119), &limits));
        assert!(s.expire_if_idle(later, &limits));
        assert_eq!((s.step, s.ended), (Step::Ended, Some(EndReason::Timeout)));
        let mut open = at(Step::Collect);
        assert!(!open.expire_if_idle(later, &limits));
        assert!(open.collect_overdue(later, &limits), "an open door waits, but not for ever");
        assert!(!open.collect_overdue(t0() + Duration::seconds(120), &limits));
        assert_eq!(open.apply(SessionEvent::DoorLeftOpen, later, &limits), Ok(Step::Ended));
        assert_eq!(open.ended, Some(EndReason::DoorLeftOpen));
    }

    #[test]
    fn an_empty_pin_match_is_refused() {
        let mut s = at(Step::Pin);
        assert!(s.apply(SessionEvent::PinAccepted(vec![]), t0(), &SessionLimits::default()).is_err());
    }

    #[test]
    fn still_here_restarts_the_idle_clock_but_not_at_an_open_door() {
        let limits = SessionLimits::default();
        let mut s = at(Step::Pin);
        assert_eq!(s.apply(SessionEvent::StillHere, t0() + Duration::seconds(100), &limits), Ok(Step::Pin));
        assert!(!s.expire_if_idle(t0() + Duration::seconds(200), &limits), "the idle clock started again");
        assert!(s.expire_if_idle(t0() + Duration::seconds(221), &limits));
        let mut open = at(Step::Collect);
        assert!(
            open.apply(SessionEvent::StillHere, t0(), &limits).is_err(),
            "an open door's clock is not the citizen's"
        );
    }

    #[test]
    fn a_pin_letter_is_confirmed_before_the_third_factor_of_each_document_that_asks_for_it() {
        let limits = SessionLimits::default();
        let mut s = at(Step::Pin);
        let mut id_card = q(1, ThirdFactor::OldDocument);
        id_card.pin_letter = true;
        let passport = q(2, ThirdFactor::BirthDate);
        assert_eq!(s.apply(SessionEvent::PinAccepted(vec![id_card, passport]), t0(), &limits), Ok(Step::PinLetter));
        assert!(s.apply(SessionEvent::ThirdFactorAccepted, t0(), &limits).is_err(), "no factor before the letter");
        assert_eq!(s.apply(SessionEvent::PinLetterConfirmed, t0(), &limits), Ok(Step::OldDocument));
        assert_eq!(s.apply(SessionEvent::ThirdFactorAccepted, t0(), &limits), Ok(Step::Collect));
        assert_eq!(s.apply(SessionEvent::DoorClosed, t0(), &limits), Ok(Step::BirthDate), "the passport asks none");
        let mut waiting = at(Step::PinLetter);
        assert!(waiting.expire_if_idle(t0() + Duration::seconds(121), &limits), "the letter step times out too");
    }
}
