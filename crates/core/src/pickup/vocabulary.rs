//! The names of what happens to a pickup: one vocabulary for the event feed, the audit log and the
//! API, so the registry, staff and the OpenAPI document never call one thing by two names.

use serde::{Deserialize, Serialize};

use super::PickupStatus;

/// A fact in a pickup's history, as the feed and the audit log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The opt-in was registered.
    Registered,
    /// A compartment was reserved and commanded open for loading.
    DepositStarted,
    /// The compartment's lock did not open (or did not answer) for loading.
    DepositFailed,
    /// The loading was called off; the compartment is free again.
    DepositAbandoned,
    /// The loading door closed: the document is in the box and the PIN is on its way.
    DepositCompleted,
    /// Too many wrong PINs or third factors: nobody may collect until a supervisor lifts the lock.
    Locked,
    /// A supervisor lifted the lock; a new PIN is on its way.
    Unlocked,
    /// Staff sent a new PIN after a lost SMS; the old one no longer works.
    PinReissued,
    /// A kiosk session passed all three factors and the compartment is commanded open.
    Claimed,
    /// The compartment did not open for the claim; staff are told.
    ClaimFailed,
    /// A supervisor gave a claimed document back to its pickup after looking into the compartment.
    ClaimReleased,
    /// The door stayed open (or its sensor silent) past the collect timeout; staff are told.
    DoorLeftOpen,
    /// The door closed on the document: its item sensor still saw it inside; staff are told.
    DocumentLeftInside,
    /// The service stopped while the pickup was being loaded or handed over; staff are told.
    Interrupted,
    /// The claimed compartment's door opened and closed again: the proof of hand-over.
    HandedOver,
    /// The old document went into the box's bin for destruction.
    OldDocumentKept,
    /// The old document could not be taken in and stayed in the slot or was given back.
    OldDocumentNotKept,
    /// The pickup window ended before the document was collected.
    Expired,
    /// The registry or staff called the pickup off.
    Cancelled,
    /// Staff had the compartment opened to take the document out.
    WithdrawalStarted,
    /// The compartment did not open for the withdrawal.
    WithdrawalFailed,
    /// Staff took the document out and the door closed.
    Withdrawn,
    /// An SMS to the citizen was refused for good or not accepted in time; staff are told.
    SmsNotDeliverable,
    /// The mobile number was corrected: messages not yet sent to the old one are dropped, and a
    /// document waiting in the box gets a new PIN at the new one.
    PhoneChanged,
}

impl EventKind {
    pub const ALL: [EventKind; 24] = [
        Self::Registered,
        Self::DepositStarted,
        Self::DepositFailed,
        Self::DepositAbandoned,
        Self::DepositCompleted,
        Self::Locked,
        Self::Unlocked,
        Self::PinReissued,
        Self::Claimed,
        Self::ClaimFailed,
        Self::ClaimReleased,
        Self::DoorLeftOpen,
        Self::DocumentLeftInside,
        Self::Interrupted,
        Self::HandedOver,
        Self::OldDocumentKept,
        Self::OldDocumentNotKept,
        Self::Expired,
        Self::Cancelled,
        Self::WithdrawalStarted,
        Self::WithdrawalFailed,
        Self::Withdrawn,
        Self::SmsNotDeliverable,
        Self::PhoneChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::DepositStarted => "deposit_started",
            Self::DepositFailed => "deposit_failed",
            Self::DepositAbandoned => "deposit_abandoned",
            Self::DepositCompleted => "deposit_completed",
            Self::Locked => "locked",
            Self::Unlocked => "unlocked",
            Self::PinReissued => "pin_reissued",
            Self::Claimed => "claimed",
            Self::ClaimFailed => "claim_failed",
            Self::ClaimReleased => "claim_released",
            Self::DoorLeftOpen => "door_left_open",
            Self::DocumentLeftInside => "document_left_inside",
            Self::Interrupted => "interrupted",
            Self::HandedOver => "handed_over",
            Self::OldDocumentKept => "old_document_kept",
            Self::OldDocumentNotKept => "old_document_not_kept",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::WithdrawalStarted => "withdrawal_started",
            Self::WithdrawalFailed => "withdrawal_failed",
            Self::Withdrawn => "withdrawn",
            Self::SmsNotDeliverable => "sms_not_deliverable",
            Self::PhoneChanged => "phone_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why staff should look at a pickup. Shown in the pickup's `attention`; the words are public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    LockedAfterWrongPins,
    LockedAfterWrongThirdFactors,
    /// The lock refused or did not answer when the compartment was to open for the citizen or staff.
    CompartmentDidNotOpen,
    /// No door-closed event within the collect timeout: the door is open or its sensor silent.
    DoorLeftOpen,
    /// The door closed with the document still inside, as its item sensor saw: not handed over.
    DocumentLeftInside,
    /// The service stopped mid-hand-over: only a look into the compartment tells if it was taken.
    HandoverUnconfirmed,
    /// The service stopped mid-loading.
    DepositUnconfirmed,
    /// The citizen's SMS could not be delivered: they do not know their PIN.
    SmsNotDeliverable,
}

impl Attention {
    pub const ALL: [Attention; 8] = [
        Self::LockedAfterWrongPins,
        Self::LockedAfterWrongThirdFactors,
        Self::CompartmentDidNotOpen,
        Self::DoorLeftOpen,
        Self::DocumentLeftInside,
        Self::HandoverUnconfirmed,
        Self::DepositUnconfirmed,
        Self::SmsNotDeliverable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LockedAfterWrongPins => "locked_after_wrong_pins",
            Self::LockedAfterWrongThirdFactors => "locked_after_wrong_third_factors",
            Self::CompartmentDidNotOpen => "compartment_did_not_open",
            Self::DoorLeftOpen => "door_left_open",
            Self::DocumentLeftInside => "document_left_inside",
            Self::HandoverUnconfirmed => "handover_unconfirmed",
            Self::DepositUnconfirmed => "deposit_unconfirmed",
            Self::SmsNotDeliverable => "sms_not_deliverable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether lifting the lock settles it.
    pub fn is_lock(self) -> bool {
        matches!(self, Self::LockedAfterWrongPins | Self::LockedAfterWrongThirdFactors)
    }

    /// Whether what the flag asks of staff can still be done while the pickup is in `status`: a lock
    /// is lifted, or a number corrected, only while the document waits for its citizen; once it
    /// expired or was called off, taking it out is all that is left. What a look into the
    /// compartment settles is asked in any state.
    pub fn asks_in(self, status: PickupStatus) -> bool {
        use PickupStatus as S;
        match self {
            Self::LockedAfterWrongPins | Self::LockedAfterWrongThirdFactors => status == S::Ready,
            Self::SmsNotDeliverable => matches!(status, S::AwaitingDeposit | S::Depositing | S::Ready),
            Self::CompartmentDidNotOpen
            | Self::DoorLeftOpen
            | Self::DocumentLeftInside
            | Self::HandoverUnconfirmed
            | Self::DepositUnconfirmed => true,
        }
    }
}

/// How a lock failed to open; the two call for different care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockFailure {
    /// The controller answered that the lock did not open: the compartment is certainly shut.
    Refused,
    /// The controller did not answer: the lock may have opened, so the compartment may hold anything.
    NoAnswer,
}

impl LockFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::NoAnswer => "no_answer",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert!(seen.insert(k.as_str()), "{} twice", k.as_str());
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for a in Attention::ALL {
            assert_eq!(Attention::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }

    #[test]
    fn a_lock_or_an_undeliverable_sms_asks_nothing_of_a_document_to_be_taken_out() {
        use PickupStatus as S;
        for lock in [Attention::LockedAfterWrongPins, Attention::LockedAfterWrongThirdFactors] {
            assert!(lock.asks_in(S::Ready));
            assert!(!lock.asks_in(S::Expired) && !lock.asks_in(S::Cancelled), "{lock:?}");
        }
        assert!(Attention::SmsNotDeliverable.asks_in(S::AwaitingDeposit));
        assert!(!Attention::SmsNotDeliverable.asks_in(S::Expired));
        assert!(Attention::DoorLeftOpen.asks_in(S::Expired), "a look into the compartment is still asked");
    }
}
