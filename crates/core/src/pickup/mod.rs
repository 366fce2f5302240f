//! The life of a pickup, as a state machine written as data.
//!
//! ```text
//! awaiting_deposit ─DepositStarted─▶ depositing ─DepositCompleted─▶ ready ─Claimed…HandedOver─▶ collected
//!    │   ▲                              │                            │ │
//!    │   └─DepositFailed / Abandoned────┘                            │ └─Expire─▶ expired ─┐
//!    └─Cancel─▶ cancelled ◀─Cancel───────────────────────────────────┘               │     │
//!                  └──WithdrawalStarted…Withdrawn─▶ withdrawn ◀──WithdrawalStarted…Withdrawn
//! ```
//!
//! Beside the status a pickup carries flags and counters that its rules also decide: *locked* after
//! too many wrong PINs or third factors, *claimed* by the kiosk session handing it over,
//! *withdrawing* while staff take it out, and an *attention* word for staff.
//!
//! A transition is a pure function of (pickup, event, rules, now): it returns the new state, the
//! effects the use case must carry out in the same transaction (or, for the box, right after it), and
//! the facts to record in the feed and the audit log. Anything not in the table is an error, never a
//! silent no-op, so a bug or a replayed request shows up.

mod vocabulary;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SessionId;
pub use vocabulary::{Attention, EventKind, LockFailure};

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
    /// The lock did not open for loading. The clerk still holds the document; the compartment is
    /// retired, because a refusing lock is broken and an unanswered one may have opened after all.
    DepositFailed {
        lock: LockFailure,
    },
    /// The loading was called off with the compartment known to be empty.
    DepositAbandoned,
    /// The loading door closed: the document is inside.
    DepositCompleted,
    /// The PIN matched at a kiosk: earlier wrong PINs are forgiven.
    PinAccepted,
    /// A wrong PIN was typed for the phone number this pickup waits for.
    PinRefused,
    /// A wrong birth date or old document was shown for this pickup.
    ThirdFactorRefused,
    /// A kiosk session passed all three factors and claims the hand-over.
    Claimed {
        session: SessionId,
    },
    /// The box failed to open for the claim. The claim stays: after no answer the door may have opened
    /// after all and its closing still completes the hand-over; nobody else can claim the document
    /// until staff have looked at it.
    ClaimFailed {
        lock: LockFailure,
    },
    /// A supervisor found the claimed document still in its compartment and gives it back to the
    /// pickup, to be collected again.
    ClaimReleased,
    /// No door-closed event within the collect timeout.
    DoorLeftOpen,
    /// The claimed compartment's door closed with the item sensor still seeing the document inside:
    /// not a hand-over. The claim stays until staff have looked.
    DocumentLeftInside,
    /// The service (re)started and found this pickup mid-loading or mid-hand-over.
    Interrupted,
    /// The claimed compartment's door opened and closed again: the proof of hand-over.
    HandedOver,
    /// A supervisor lifts the lock after seeing the citizen in person.
    Unlocked,
    /// Staff send a new PIN after the citizen lost the SMS; the old one stops working.
    PinReissued,
    /// The pickup window is over.
    Expire,
    Cancel,
    /// Staff have the compartment of an expired or cancelled pickup opened to take it out.
    WithdrawalStarted,
    WithdrawalFailed {
        lock: LockFailure,
    },
    /// The withdrawal's door closed: the document is out of the box.
    Withdrawn,
    /// The outbox gave up an SMS to this pickup's citizen.
    SmsNotDeliverable,
    /// The registry or a supervisor corrected the mobile number (the citizen gave a wrong one, or
    /// it changed before the document arrived).
    PhoneChanged,
}

impl PickupEvent {
    /// The event's name: its fact's name from the vocabulary, or, for the three that record no fact of
    /// their own, a name used only in errors.
    pub fn name(&self) -> &'static str {
        match (self.kind(), self) {
            (Some(kind), _) => kind.as_str(),
            (None, Self::PinAccepted) => "pin_accepted",
            (None, Self::PinRefused) => "pin_refused",
            (None, _) => "third_factor_refused",
        }
    }

    /// The fact this event records, if it records one by itself. A counted refusal or a forgiven
    /// count is not a fact of the pickup's history (the session's audit entry says what was tried);
    /// the lock it may cause is.
    fn kind(&self) -> Option<EventKind> {
        Some(match self {
            Self::DepositStarted => EventKind::DepositStarted,
            Self::DepositFailed { .. } => EventKind::DepositFailed,
            Self::DepositAbandoned => EventKind::DepositAbandoned,
            Self::DepositCompleted => EventKind::DepositCompleted,
            Self::PinAccepted | Self::PinRefused | Self::ThirdFactorRefused => return None,
            Self::Claimed { .. } => EventKind::Claimed,
            Self::ClaimFailed { .. } => EventKind::ClaimFailed,
            Self::ClaimReleased => EventKind::ClaimReleased,
            Self::DoorLeftOpen => EventKind::DoorLeftOpen,
            Self::DocumentLeftInside => EventKind::DocumentLeftInside,
            Self::Interrupted => EventKind::Interrupted,
            Self::HandedOver => EventKind::HandedOver,
            Self::Unlocked => EventKind::Unlocked,
            Self::PinReissued => EventKind::PinReissued,
            Self::Expire => EventKind::Expired,
            Self::Cancel => EventKind::Cancelled,
            Self::WithdrawalStarted => EventKind::WithdrawalStarted,
            Self::WithdrawalFailed { .. } => EventKind::WithdrawalFailed,
            Self::Withdrawn => EventKind::Withdrawn,
            Self::SmsNotDeliverable => EventKind::SmsNotDeliverable,
            Self::PhoneChanged => EventKind::PhoneChanged,
        })
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
    /// Staff had the compartment opened to take the document out; its door has not closed yet.
    pub withdrawing: bool,
    /// Wrong PINs since the last right one, across sessions.
    pub failed_pins: u32,
    /// Wrong birth dates or old documents, across sessions.
    pub failed_third_factors: u32,
    /// The end of the pickup window, once the document is in the box.
    pub deadline: Option<DateTime<Utc>>,
    pub attention: Option<Attention>,
}

impl PickupState {
    /// A pickup as registered.
    pub fn new() -> Self {
        Self {
            status: PickupStatus::AwaitingDeposit,
            in_box: false,
            locked: false,
            claimed_by: None,
            withdrawing: false,
            failed_pins: 0,
            failed_third_factors: 0,
            deadline: None,
            attention: None,
        }
    }

    /// Whether a citizen may collect the document at `now`. Past its deadline a document is no
    /// longer offered, whether or not the expiry job has run yet.
    pub fn collectable(&self, now: DateTime<Utc>) -> bool {
        self.status == PickupStatus::Ready
            && !self.locked
            && self.claimed_by.is_none()
            && self.deadline.is_none_or(|d| now < d)
    }

    /// Whether the expiry job should expire it now.
    pub fn due_to_expire(&self, now: DateTime<Utc>) -> bool {
        self.status == PickupStatus::Ready && self.claimed_by.is_none() && self.deadline.is_some_and(|d| now >= d)
    }

    /// Sets the attention word unless one is set already: the first reason says most.
    fn flag(&mut self, reason: Attention) {
        if self.attention.is_none() {
            self.attention = Some(reason);
        }
    }
}

impl Default for PickupState {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a door opening in the pickup's compartment is one the rules expect: for a loading, a claim
/// or a withdrawal. Any other opening is recorded for staff, never acted on.
pub fn expects_door(state: &PickupState) -> bool {
    state.status == PickupStatus::Depositing || state.claimed_by.is_some() || state.withdrawing
}

/// What the closing of the pickup's compartment door means, once it opened for it: the loading is
/// done, the document handed over, or taken out by staff. `None`: the close changes nothing.
pub fn door_closed_event(state: &PickupState) -> Option<PickupEvent> {
    match state.status {
        PickupStatus::Depositing => Some(PickupEvent::DepositCompleted),
        PickupStatus::Ready if state.claimed_by.is_some() => Some(PickupEvent::HandedOver),
        PickupStatus::Expired | PickupStatus::Cancelled if state.withdrawing => Some(PickupEvent::Withdrawn),
        _ => None,
    }
}

/// The limits a deployment sets on pickups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickupRules {
    /// Wrong PINs per pickup, across sessions, before it is locked.
    pub pin_lockout_after: u32,
    /// Wrong third factors per pickup, across sessions, before it is locked.
    pub third_factor_lockout_after: u32,
    /// How long a document waits in its compartment (most cities: 10 days).
    pub pickup_window: Duration,
}

impl Default for PickupRules {
    fn default() -> Self {
        Self { pin_lockout_after: 5, third_factor_lockout_after: 5, pickup_window: Duration::days(10) }
    }
}

/// What the use case must do because of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Command the box to open the pickup's compartment, after the transaction commits.
    OpenCompartment,
    /// Mark the reserved compartment as holding the document.
    OccupyCompartment,
    /// Give the compartment back to the pool of free ones.
    FreeCompartment,
    /// Take the compartment out of use until staff have looked at it.
    RetireCompartment { lock: LockFailure },
    /// Draw a PIN (or reuse the family's) and queue the ready SMS.
    IssuePin,
    /// Draw a fresh PIN, never the family's, and queue it by SMS; the old PIN stops working.
    ReissuePin,
    /// Drop the messages not sent yet, at once, before anything is queued to a new number: they
    /// carry the old number.
    DropQueuedMessages,
    /// Queue the reminder for its day again (it went with the messages to the old number).
    QueueReminder,
    /// Erase the PIN hash: the document can no longer be collected with it.
    ForgetPin,
    /// Erase phone, birth date, old document number and PIN material: no longer needed.
    ErasePersonalData,
    /// Drop messages for this pickup that have not gone out yet (a PIN for a called-off pickup).
    DropUnsentMessages,
    /// Queue the SMS that the uncollected document has gone back to the counter.
    NotifyWithdrawn,
    /// Record the moment of hand-over as its proof.
    RecordHandover { at: DateTime<Utc> },
}

/// The outcome of a legal transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: PickupState,
    pub effects: Vec<Effect>,
    /// The facts to write to the feed and the audit log, in order.
    pub recorded: Vec<EventKind>,
}

/// A move the pickup's rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a pickup in state {from} cannot take the event {event}")]
    Illegal { from: &'static str, event: &'static str },
    #[error("the pickup is locked after too many wrong tries")]
    Locked,
    #[error("the pickup is being handed over to another session")]
    AlreadyClaimed,
    #[error("the pickup window is over")]
    PastDeadline,
    /// Staff or the registry act on a document a citizen is taking out of its compartment right now.
    #[error(
        "the document is being handed over at the box right now, or a hand-over was left standing: try again once \
         its door has closed; a supervisor releases a hand-over left standing first"
    )]
    HandOverUnderway,
}

/// Applies an event to a pickup; see the module docs for the table.
pub fn transition(
    state: &PickupState,
    event: &PickupEvent,
    rules: &PickupRules,
    now: DateTime<Utc>,
) -> Result<Transition, TransitionError> {
    use PickupStatus as S;
    let illegal = || TransitionError::Illegal { from: state.status.as_str(), event: event.name() };
    let mut st = state.clone();
    let mut effects = Vec::new();
    let claimed = state.claimed_by.is_some();
    match (state.status, event) {
        (S::AwaitingDeposit, PickupEvent::DepositStarted) => {
            st.status = S::Depositing;
            st.in_box = true;
            effects.push(Effect::OpenCompartment);
        }
        // A loading cut off by a restart (its door may have closed while nobody listened): loading
        // the document again opens its compartment again, and that door's close completes it. It is
        // a loading under way again, like any: not started twice, not called off while its door
        // stands open, and flagged again should a restart cut it off once more.
        (S::Depositing, PickupEvent::DepositStarted) if state.attention == Some(Attention::DepositUnconfirmed) => {
            st.attention = None;
            effects.push(Effect::OpenCompartment);
        }
        (S::Depositing, PickupEvent::DepositFailed { lock }) => {
            st.status = S::AwaitingDeposit;
            st.in_box = false;
            effects.push(Effect::RetireCompartment { lock: *lock });
        }
        (S::Depositing, PickupEvent::DepositAbandoned) => {
            st.status = S::AwaitingDeposit;
            st.in_box = false;
            effects.push(Effect::FreeCompartment);
        }
        (S::Depositing, PickupEvent::DepositCompleted) => {
            st.status = S::Ready;
            st.deadline = Some(now + rules.pickup_window);
            if st.attention == Some(Attention::DepositUnconfirmed) {
                st.attention = None;
            }
            effects.extend([Effect::OccupyCompartment, Effect::IssuePin]);
        }
        (S::Ready, PickupEvent::PinAccepted) if !state.locked && !claimed => st.failed_pins = 0,
        (S::Ready, PickupEvent::PinRefused) if !state.locked && !claimed => {
            st.failed_pins += 1;
            if st.failed_pins >= rules.pin_lockout_after {
                st.locked = true;
                st.flag(Attention::LockedAfterWrongPins);
            }
        }
        (S::Ready, PickupEvent::ThirdFactorRefused) if !state.locked && !claimed => {
            st.failed_third_factors += 1;
            if st.failed_third_factors >= rules.third_factor_lockout_after {
                st.locked = true;
                st.flag(Attention::LockedAfterWrongThirdFactors);
            }
        }
        (S::Ready, PickupEvent::Claimed { session }) => {
            if state.locked {
                return Err(TransitionError::Locked);
            }
            if claimed {
                return Err(TransitionError::AlreadyClaimed);
            }
            if !state.collectable(now) {
                return Err(TransitionError::PastDeadline);
            }
            st.claimed_by = Some(session.clone());
            st.failed_pins = 0;
            st.failed_third_factors = 0;
            effects.push(Effect::OpenCompartment);
        }
        (S::Ready, PickupEvent::ClaimFailed { .. }) if claimed => st.flag(Attention::CompartmentDidNotOpen),
        (S::Ready, PickupEvent::ClaimReleased) if claimed => {
            st.claimed_by = None;
            st.attention = None;
        }
        (S::Ready, PickupEvent::DoorLeftOpen) if claimed => st.flag(Attention::DoorLeftOpen),
        (S::Ready, PickupEvent::DocumentLeftInside) if claimed => st.flag(Attention::DocumentLeftInside),
        (S::Depositing, PickupEvent::Interrupted) => st.flag(Attention::DepositUnconfirmed),
        (S::Ready, PickupEvent::Interrupted) if claimed => st.flag(Attention::HandoverUnconfirmed),
        (S::Ready, PickupEvent::HandedOver) if claimed => {
            st.status = S::Collected;
            st.in_box = false;
            st.attention = None;
            effects.extend([Effect::RecordHandover { at: now }, Effect::FreeCompartment, Effect::ErasePersonalData]);
        }
        (S::Ready, PickupEvent::Unlocked) if state.locked => {
            st.locked = false;
            st.failed_pins = 0;
            st.failed_third_factors = 0;
            if st.attention.is_some_and(Attention::is_lock) {
                st.attention = None;
            }
            effects.push(Effect::ReissuePin);
        }
        (S::Ready, PickupEvent::PinReissued) if !claimed && !state.withdrawing => {
            if state.locked {
                return Err(TransitionError::Locked);
            }
            if st.attention == Some(Attention::SmsNotDeliverable) {
                st.attention = None;
            }
            effects.push(Effect::ReissuePin);
        }
        (S::Ready, PickupEvent::Expire) if state.due_to_expire(now) => {
            st.status = S::Expired;
            effects.push(Effect::ForgetPin);
        }
        (S::AwaitingDeposit, PickupEvent::Cancel) => {
            st.status = S::Cancelled;
            effects.extend([Effect::ErasePersonalData, Effect::DropUnsentMessages]);
        }
        (S::Ready | S::Expired, PickupEvent::Cancel) if !claimed && !state.withdrawing => {
            st.status = S::Cancelled;
            effects.extend([Effect::ErasePersonalData, Effect::DropUnsentMessages]);
        }
        (S::Ready | S::Expired, PickupEvent::Cancel) if claimed => return Err(TransitionError::HandOverUnderway),
        // A loading cut off by a restart may be called off too: the document may lie in its
        // compartment, so it stays on the list to withdraw, like any called-off document in the box.
        (S::Depositing, PickupEvent::Cancel) if state.attention == Some(Attention::DepositUnconfirmed) => {
            st.status = S::Cancelled;
            st.attention = None;
            effects.extend([Effect::ErasePersonalData, Effect::DropUnsentMessages]);
        }
        (S::Expired | S::Cancelled, PickupEvent::WithdrawalStarted) if state.in_box && !claimed => {
            st.withdrawing = true;
            effects.push(Effect::OpenCompartment);
        }
        (S::Expired | S::Cancelled, PickupEvent::WithdrawalFailed { .. }) if state.withdrawing => {
            st.flag(Attention::CompartmentDidNotOpen);
        }
        (S::Expired | S::Cancelled, PickupEvent::Withdrawn) if state.withdrawing => {
            st.status = S::Withdrawn;
            st.in_box = false;
            st.withdrawing = false;
            st.attention = None;
            effects.push(Effect::FreeCompartment);
            if state.status == S::Expired {
                effects.push(Effect::NotifyWithdrawn);
            }
            effects.push(Effect::ErasePersonalData);
        }
        // A corrected number: what was queued for the old one goes; a document in the box gets a new
        // PIN at the new one (unless locked: lifting the lock sends one) and its reminder again.
        (S::AwaitingDeposit | S::Depositing, PickupEvent::PhoneChanged) => {
            if st.attention == Some(Attention::SmsNotDeliverable) {
                st.attention = None;
            }
        }
        (S::Ready, PickupEvent::PhoneChanged) if !claimed => {
            if st.attention == Some(Attention::SmsNotDeliverable) {
                st.attention = None;
            }
            effects.push(Effect::DropQueuedMessages);
            // A locked document's old PIN goes now; the one its lifted lock sends is the first at
            // the new number.
            effects.push(if state.locked { Effect::ForgetPin } else { Effect::ReissuePin });
            effects.push(Effect::QueueReminder);
        }
        (S::Ready, PickupEvent::PhoneChanged) if claimed => return Err(TransitionError::HandOverUnderway),
        // An undeliverable SMS matters while the citizen is still to come; a final pickup keeps none.
        (S::AwaitingDeposit | S::Depositing | S::Ready | S::Expired, PickupEvent::SmsNotDeliverable) => {
            st.flag(Attention::SmsNotDeliverable);
        }
        _ => return Err(illegal()),
    }
    // A withdrawal asked for again while it stands (a retried request, a second click) opens the
    // compartment again but is the same withdrawal: the feed and the audit log record it once.
    let repeated = matches!(event, PickupEvent::WithdrawalStarted) && state.withdrawing;
    let mut recorded: Vec<EventKind> = event.kind().into_iter().filter(|_| !repeated).collect();
    if st.locked && !state.locked {
        recorded.push(EventKind::Locked);
    }
    Ok(Transition { state: st, effects, recorded })
}

#[cfg(test)]
mod tests;
