//! The life of a pickup, as a state machine written as data.
//!
//! ```text
//! awaiting_deposit ──DepositStarted──▶ depositing ──DoorClosed──▶ ready ──HandedOver──▶ collected
//!        │   ▲                              │                      │ │
//!        │   └──────DepositAbandoned────────┘                      │ └──Expire──▶ expired ──Withdraw──▶ withdrawn
//!        └──Cancel──▶ cancelled ◀──Cancel──────────────────────────┘                   ▲
//!                         └──Withdraw (only when the document is in the box)───────────┘
//! ```
//!
//! A transition is a pure function of (pickup, event, now): it returns the new state and the effects
//! the use case must carry out in the same transaction (or, for the box, right after it). Anything
//! not in the table is an error, never a silent no-op, so a bug or a replayed request shows up.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SessionId;

/// Where a pickup stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickupStatus {
    /// Registered at the counter; the document is not in the box yet.
    AwaitingDeposit,
    /// A compartment is reserved and its door open for loading.
    Depositing,
    /// In its compartment; the citizen has the PIN.
    Ready,
    /// Handed over: the door opened for the citizen and closed again.
    Collected,
    /// Not collected within the pickup window; waits for staff to take it out.
    Expired,
    /// Taken out of the box by staff.
    Withdrawn,
    /// Called off by the registry or staff.
    Cancelled,
}

impl PickupStatus {
    pub const ALL: [PickupStatus; 7] = [
        Self::AwaitingDeposit,
        Self::Depositing,
        Self::Ready,
        Self::Collected,
        Self::Expired,
        Self::Withdrawn,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingDeposit => "awaiting_deposit",
            Self::Depositing => "depositing",
            Self::Ready => "ready",
            Self::Collected => "collected",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether nothing more can happen to the pickup. A cancelled pickup is not final while its
    /// document still waits in the box for staff to withdraw it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Collected | Self::Withdrawn)
    }
}

/// What can happen to a pickup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickupEvent {
    /// A compartment was reserved and its door is commanded open for loading.
    DepositStarted,
    /// The loading door closed: the document is inside.
    DepositCompleted {
        pickup_window: Duration,
    },
    /// The loading door never opened or the loading was called off.
    DepositAbandoned,
    /// A kiosk session passed all three factors and claims the hand-over.
    Claimed {
        session: SessionId,
    },
    /// The claimed compartment's door opened and closed again: the proof of hand-over.
    HandedOver,
    /// The box reported a failure opening for the claim. The claim stays: the door may have opened
    /// after all, and its closing still completes the hand-over. Nobody else can claim the document
    /// until staff have looked at it.
    ClaimFailed,
    /// A supervisor found the claimed document still in its compartment (the door never opened) and
    /// gives it back to the pickup, to be collected again.
    ClaimReleased,
    /// Too many wrong PINs: nobody may collect until a supervisor lifts the lock.
    Locked,
    Unlocked,
    Expire,
    Cancel,
    /// Staff took the document out of its compartment and the door closed.
    Withdrawn,
}

impl PickupEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::DepositStarted => "deposit_started",
            Self::DepositCompleted { .. } => "deposit_completed",
            Self::DepositAbandoned => "deposit_abandoned",
            Self::Claimed { .. } => "claimed",
            Self::HandedOver => "handed_over",
            Self::ClaimFailed => "claim_failed",
            Self::ClaimReleased => "claim_released",
            Self::Locked => "locked",
            Self::Unlocked => "unlocked",
            Self::Expire => "expire",
            Self::Cancel => "cancel",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// The part of a pickup its rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupState {
    pub status: PickupStatus,
    /// Whether the document lies in a compartment (reserved or occupied by it).
    pub in_box: bool,
    pub locked: bool,
    pub claimed_by: Option<SessionId>,
}

/// What the use case must do because of a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Command the box to open the pickup's compartment, after the transaction commits.
    OpenCompartment,
    /// Mark the reserved compartment as holding the document.
    OccupyCompartment,
    /// Give the compartment back to the pool of free ones.
    FreeCompartment,
    /// Draw a PIN (or reuse the family's) and queue the ready SMS.
    IssuePinAndNotify { deadline: DateTime<Utc> },
    /// Erase phone, birth date, old document number and PIN material: no longer needed.
    ErasePersonalData,
    /// Record the moment of hand-over as its proof.
    RecordHandover { at: DateTime<Utc> },
    /// Tell staff: something needs a person (a stuck door, a lock fault).
    FlagForStaff { reason: &'static str },
}

/// The outcome of a legal transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: PickupState,
    pub effects: Vec<Effect>,
}

/// A move the pickup's rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a pickup in state {from} cannot take the event {event}")]
    Illegal { from: &'static str, event: &'static str },
    #[error("the pickup is locked after too many wrong PINs")]
    Locked,
    #[error("the pickup is being handed over to another session")]
    AlreadyClaimed,
}

/// Applies an event to a pickup; see the module docs for the table.
pub fn transition(state: &PickupState, event: &PickupEvent, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
    use PickupStatus as S;
    let illegal = || TransitionError::Illegal { from: state.status.as_str(), event: event.name() };
    let next = |status: S, effects: Vec<Effect>| {
        let mut st = state.clone();
        st.status = status;
        Ok(Transition { state: st, effects })
    };
    let unclaimed_ready = state.status == S::Ready && state.claimed_by.is_none();
    match (state.status, event) {
        (S::AwaitingDeposit, PickupEvent::DepositStarted) => {
            let mut st = state.clone();
            st.status = S::Depositing;
            st.in_box = true;
            Ok(Transition { state: st, effects: vec![Effect::OpenCompartment] })
        }
        (S::Depositing, PickupEvent::DepositCompleted { pickup_window }) => next(
            S::Ready,
            vec![Effect::OccupyCompartment, Effect::IssuePinAndNotify { deadline: now + *pickup_window }],
        ),
        (S::Depositing, PickupEvent::DepositAbandoned) => {
            let mut st = state.clone();
            st.status = S::AwaitingDeposit;
            st.in_box = false;
            Ok(Transition { state: st, effects: vec![Effect::FreeCompartment] })
        }
        (S::Ready, PickupEvent::Claimed { session }) => {
            if state.locked {
                return Err(TransitionError::Locked);
            }
            if state.claimed_by.is_some() {
                return Err(TransitionError::AlreadyClaimed);
            }
            let mut st = state.clone();
            st.claimed_by = Some(session.clone());
            Ok(Transition { state: st, effects: vec![Effect::OpenCompartment] })
        }
        (S::Ready, PickupEvent::HandedOver) if state.claimed_by.is_some() => {
            let mut st = state.clone();
            st.status = S::Collected;
            st.in_box = false;
            Ok(Transition {
                state: st,
                effects: vec![Effect::RecordHandover { at: now }, Effect::FreeCompartment, Effect::ErasePersonalData],
            })
        }
        (S::Ready, PickupEvent::ClaimFailed) if state.claimed_by.is_some() => Ok(Transition {
            state: state.clone(),
            effects: vec![Effect::FlagForStaff { reason: "compartment_did_not_open" }],
        }),
        (S::Ready, PickupEvent::ClaimReleased) if state.claimed_by.is_some() => {
            let mut st = state.clone();
            st.claimed_by = None;
            Ok(Transition { state: st, effects: vec![] })
        }
        (S::Ready, PickupEvent::Locked) if unclaimed_ready && !state.locked => {
            let mut st = state.clone();
            st.locked = true;
            Ok(Transition { state: st, effects: vec![Effect::FlagForStaff { reason: "locked_after_wrong_pins" }] })
        }
        (S::Ready, PickupEvent::Unlocked) if state.locked => {
            let mut st = state.clone();
            st.locked = false;
            Ok(Transition { state: st, effects: vec![] })
        }
        (S::Ready, PickupEvent::Expire) if unclaimed_ready => next(S::Expired, vec![]),
        (S::AwaitingDeposit, PickupEvent::Cancel) => next(S::Cancelled, vec![Effect::ErasePersonalData]),
        (S::Ready, PickupEvent::Cancel) if unclaimed_ready => next(S::Cancelled, vec![]),
        (S::Ready | S::Expired | S::Cancelled, PickupEvent::Withdrawn)
            if state.in_box && state.claimed_by.is_none() =>
        {
            let mut st = state.clone();
            st.status = S::Withdrawn;
            st.in_box = false;
            Ok(Transition { state: st, effects: vec![Effect::FreeCompartment, Effect::ErasePersonalData] })
        }
        _ => Err(illegal()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
    }

    fn session() -> SessionId {
        SessionId::from_random([1; 16])
    }

    fn state(status: PickupStatus, in_box: bool, locked: bool, claimed: bool) -> PickupState {
        PickupState { status, in_box, locked, claimed_by: claimed.then(session) }
    }

    fn all_events() -> Vec<PickupEvent> {
        vec![
            PickupEvent::DepositStarted,
            PickupEvent::DepositCompleted { pickup_window: Duration::days(10) },
            PickupEvent::DepositAbandoned,
            PickupEvent::Claimed { session: session() },
            PickupEvent::HandedOver,
            PickupEvent::ClaimFailed,
            PickupEvent::ClaimReleased,
            PickupEvent::Locked,
            PickupEvent::Unlocked,
            PickupEvent::Expire,
            PickupEvent::Cancel,
            PickupEvent::Withdrawn,
        ]
    }

    /// Every reachable combination of status and flags.
    fn all_states() -> Vec<PickupState> {
        let mut out = Vec::new();
        for status in PickupStatus::ALL {
            for in_box in [false, true] {
                for locked in [false, true] {
                    for claimed in [false, true] {
                        out.push(state(status, in_box, locked, claimed));
                    }
                }
            }
        }
        out
    }

    /// The legal moves, as (status, in_box, locked, claimed, event name) → status after.
    const LEGAL: &[(PickupStatus, bool, bool, bool, &str, PickupStatus)] = {
        use PickupStatus::*;
        &[
            (AwaitingDeposit, false, false, false, "deposit_started", Depositing),
            (AwaitingDeposit, false, false, false, "cancel", Cancelled),
            (Depositing, true, false, false, "deposit_completed", Ready),
            (Depositing, true, false, false, "deposit_abandoned", AwaitingDeposit),
            (Ready, true, false, false, "claimed", Ready),
            (Ready, true, false, true, "handed_over", Collected),
            (Ready, true, false, true, "claim_failed", Ready),
            (Ready, true, false, true, "claim_released", Ready),
            (Ready, true, false, false, "locked", Ready),
            (Ready, true, true, false, "unlocked", Ready),
            (Ready, true, false, false, "expire", Expired),
            (Ready, true, true, false, "expire", Expired),
            (Ready, true, false, false, "cancel", Cancelled),
            (Ready, true, true, false, "cancel", Cancelled),
            (Ready, true, false, false, "withdrawn", Withdrawn),
            (Ready, true, true, false, "withdrawn", Withdrawn),
            (Expired, true, false, false, "withdrawn", Withdrawn),
            (Expired, true, true, false, "withdrawn", Withdrawn),
            (Cancelled, true, false, false, "withdrawn", Withdrawn),
            (Cancelled, true, true, false, "withdrawn", Withdrawn),
        ]
    };

    /// States the store can actually hold: a pickup in a compartment exactly when depositing, ready,
    /// or expired/cancelled before withdrawal; only ready pickups are locked or claimed.
    fn reachable(s: &PickupState) -> bool {
        use PickupStatus::*;
        let box_ok = match s.status {
            AwaitingDeposit | Collected | Withdrawn => !s.in_box,
            Depositing | Ready | Expired => s.in_box,
            Cancelled => true,
        };
        let flags_ok =
            s.status == Ready || (s.claimed_by.is_none() && (!s.locked || matches!(s.status, Expired | Cancelled)));
        box_ok && flags_ok && !(s.locked && s.claimed_by.is_some())
    }

    #[test]
    fn every_legal_move_is_allowed_and_every_other_refused() {
        for st in all_states().into_iter().filter(reachable) {
            for ev in all_events() {
                let expected = LEGAL.iter().find(|(s, b, l, c, e, _)| {
                    *s == st.status
                        && *b == st.in_box
                        && *l == st.locked
                        && *c == st.claimed_by.is_some()
                        && *e == ev.name()
                });
                let got = transition(&st, &ev, now());
                match (expected, got) {
                    (Some(row), Ok(t)) => {
                        assert_eq!(t.state.status, row.5, "{st:?} + {}", ev.name())
                    }
                    (None, Err(_)) => {}
                    (Some(_), Err(e)) => panic!("{st:?} + {} refused: {e}", ev.name()),
                    (None, Ok(t)) => panic!("{st:?} + {} allowed into {:?}", ev.name(), t.state),
                }
            }
        }
    }

    #[test]
    fn deposit_completion_issues_the_pin_with_a_deadline() {
        let t = transition(
            &state(PickupStatus::Depositing, true, false, false),
            &PickupEvent::DepositCompleted { pickup_window: Duration::days(10) },
            now(),
        )
        .unwrap();
        assert_eq!(
            t.effects,
            vec![Effect::OccupyCompartment, Effect::IssuePinAndNotify { deadline: now() + Duration::days(10) }]
        );
    }

    #[test]
    fn hand_over_records_proof_frees_the_compartment_and_forgets_the_person() {
        let t = transition(&state(PickupStatus::Ready, true, false, true), &PickupEvent::HandedOver, now()).unwrap();
        assert_eq!(t.state.status, PickupStatus::Collected);
        assert!(!t.state.in_box);
        assert_eq!(
            t.effects,
            vec![Effect::RecordHandover { at: now() }, Effect::FreeCompartment, Effect::ErasePersonalData]
        );
    }

    #[test]
    fn a_claim_is_exclusive_and_blocked_by_a_lock() {
        let claimed = state(PickupStatus::Ready, true, false, true);
        let second = PickupEvent::Claimed { session: SessionId::from_random([2; 16]) };
        assert_eq!(transition(&claimed, &second, now()), Err(TransitionError::AlreadyClaimed));
        let locked = state(PickupStatus::Ready, true, true, false);
        assert_eq!(transition(&locked, &second, now()), Err(TransitionError::Locked));
    }

    #[test]
    fn collected_is_final() {
        let done = state(PickupStatus::Collected, false, false, false);
        for ev in all_events() {
            assert!(transition(&done, &ev, now()).is_err(), "{}", ev.name());
        }
        assert!(PickupStatus::Collected.is_final());
        assert!(!PickupStatus::Ready.is_final());
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in PickupStatus::ALL {
            assert_eq!(PickupStatus::parse(s.as_str()), Some(s));
        }
    }
}
