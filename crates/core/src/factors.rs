//! What the three factors decide, and what the panel may learn from them.
//!
//! A person at the panel must not be able to tell a wrong PIN from an unknown phone number, nor a
//! locked pickup from either: every PIN that does not open a document is one outcome, and it counts
//! against every document that could still be collected with that number. Otherwise a locked pickup
//! would answer the right PIN differently and become an oracle for it.

use chrono::{DateTime, Utc};

use crate::ids::PickupId;
use crate::kiosk::QueuedPickup;
use crate::personal::ThirdFactor;
use crate::pickup::PickupState;

/// A document waiting for the phone number typed, as the PIN check sees it.
#[derive(Debug, Clone)]
pub struct PinCandidate {
    pub pickup: PickupId,
    pub factor: ThirdFactor,
    pub state: PickupState,
    /// Whether the typed PIN matches this pickup's PIN hash (checked for every candidate, so the work
    /// does not depend on which one matches).
    pub pin_matches: bool,
}

/// The outcome of a PIN, for the session and for the pickups' counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinVerdict {
    /// These documents open with the PIN, in the order given; their wrong-PIN counts are forgiven.
    Accepted(Vec<QueuedPickup>),
    /// Nothing opens. The wrong PIN counts against these pickups (every one still collectable).
    Refused { count_against: Vec<PickupId> },
}

/// Judges a PIN typed for a phone number against the documents waiting for that number.
pub fn judge_pin(candidates: &[PinCandidate], now: DateTime<Utc>) -> PinVerdict {
    let collectable = |c: &&PinCandidate| c.state.collectable(now);
    let accepted: Vec<QueuedPickup> = candidates
        .iter()
        .filter(collectable)
        .filter(|c| c.pin_matches)
        .map(|c| QueuedPickup { pickup: c.pickup.clone(), factor: c.factor, pin_letter: false, pin_issue: None })
        .collect();
    if accepted.is_empty() {
        PinVerdict::Refused { count_against: candidates.iter().filter(collectable).map(|c| c.pickup.clone()).collect() }
    } else {
        PinVerdict::Accepted(accepted)
    }
}

/// What was shown as the third factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The birth date or the old document's number is the one on record.
    Matching,
    /// A readable value that is not the one on record.
    Different,
    /// An old document whose zone could not be read or failed its check digits. It proves nothing
    /// either way, so it counts only against the session, never towards locking the document: a worn
    /// card must not lock its holder out, and a guess can never be unreadable on purpose to any gain.
    Unreadable,
}

/// What a typed or inserted third factor leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdFactorVerdict {
    /// The factor matches and the document may be claimed.
    Claim,
    /// The factor does not match; whether it counts towards locking the document.
    Refused { counts: bool },
    /// The pickup is locked: the answer does not depend on what was shown, so a locked pickup reveals
    /// nothing about its birth date or old document.
    Locked,
    /// The document can no longer be handed out here (claimed elsewhere, expired, gone).
    Unavailable,
}

/// Judges a third factor for the document at hand. The lock and availability are asked before the
/// value on purpose.
pub fn judge_third_factor(state: &PickupState, shown: Shown, now: DateTime<Utc>) -> ThirdFactorVerdict {
    if state.locked {
        ThirdFactorVerdict::Locked
    } else if !state.collectable(now) {
        ThirdFactorVerdict::Unavailable
    } else {
        match shown {
            Shown::Matching => ThirdFactorVerdict::Claim,
            Shown::Different => ThirdFactorVerdict::Refused { counts: true },
            Shown::Unreadable => ThirdFactorVerdict::Refused { counts: false },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::pickup::PickupStatus;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
    }

    fn candidate(n: u8, locked: bool, pin_matches: bool) -> PinCandidate {
        let state = PickupState {
            status: PickupStatus::Ready,
            in_box: true,
            locked,
            deadline: Some(now() + Duration::days(1)),
            ..PickupState::new()
        };
        PinCandidate { pickup: PickupId::from_random([n; 16]), factor: ThirdFactor::BirthDate, state, pin_matches }
    }

    #[test]
    fn the_right_pin_opens_what_it_matches() {
        let verdict = judge_pin(&[candidate(1, false, true), candidate(2, false, false)], now());
        assert_eq!(
            verdict,
            PinVerdict::Accepted(vec![QueuedPickup {
                pickup: PickupId::from_random([1; 16]),
                factor: ThirdFactor::BirthDate,
                pin_letter: false,
                pin_issue: None,
            }])
        );
    }

    #[test]
    fn a_locked_pickup_answers_its_right_pin_like_a_wrong_one() {
        let locked_right = judge_pin(&[candidate(1, true, true)], now());
        let locked_wrong = judge_pin(&[candidate(1, true, false)], now());
        let unknown = judge_pin(&[], now());
        assert_eq!(locked_right, locked_wrong);
        assert_eq!(locked_right, unknown);
        assert_eq!(unknown, PinVerdict::Refused { count_against: vec![] });
    }

    #[test]
    fn a_wrong_pin_counts_against_every_collectable_document_of_the_number() {
        let verdict = judge_pin(&[candidate(1, false, false), candidate(2, true, false)], now());
        assert_eq!(verdict, PinVerdict::Refused { count_against: vec![PickupId::from_random([1; 16])] });
    }

    #[test]
    fn past_its_deadline_a_pin_opens_nothing() {
        let mut late = candidate(1, false, true);
        late.state.deadline = Some(now());
        assert!(matches!(judge_pin(&[late], now()), PinVerdict::Refused { .. }));
    }

    #[test]
    fn a_locked_pickup_ignores_the_third_factor() {
        let locked = candidate(1, true, true).state;
        for shown in [Shown::Matching, Shown::Different, Shown::Unreadable] {
            assert_eq!(judge_third_factor(&locked, shown, now()), ThirdFactorVerdict::Locked);
        }
        let open = candidate(1, false, true).state;
        assert_eq!(judge_third_factor(&open, Shown::Matching, now()), ThirdFactorVerdict::Claim);
        assert_eq!(judge_third_factor(&open, Shown::Different, now()), ThirdFactorVerdict::Refused { counts: true });
        assert_eq!(
            judge_third_factor(&open, Shown::Unreadable, now()),
            ThirdFactorVerdict::Refused { counts: false },
            "an unreadable card does not count towards the lock"
        );
        let mut gone = open.clone();
        gone.deadline = Some(now());
        assert_eq!(judge_third_factor(&gone, Shown::Matching, now()), ThirdFactorVerdict::Unavailable);
    }
}
