#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn session() -> SessionId {
    SessionId::from_random([1; 16])
}

fn rules() -> PickupRules {
    PickupRules::default()
}

/// A state with the given flags; `due` puts the deadline in the past.
fn state(status: PickupStatus, in_box: bool, locked: bool, claimed: bool, withdrawing: bool, due: bool) -> PickupState {
    let deadline = matches!(status, PickupStatus::Ready | PickupStatus::Expired | PickupStatus::Cancelled)
        .then(|| if due { now() - Duration::hours(1) } else { now() + Duration::days(3) });
    PickupState {
        status,
        in_box,
        locked,
        claimed_by: claimed.then(session),
        withdrawing,
        deadline,
        ..PickupState::new()
    }
}

fn all_events() -> Vec<PickupEvent> {
    vec![
        PickupEvent::DepositStarted,
        PickupEvent::DepositFailed { lock: LockFailure::Refused },
        PickupEvent::DepositAbandoned,
        PickupEvent::DepositCompleted,
        PickupEvent::PinAccepted,
        PickupEvent::PinRefused,
        PickupEvent::ThirdFactorRefused,
        PickupEvent::Claimed { session: session() },
        PickupEvent::ClaimFailed { lock: LockFailure::NoAnswer },
        PickupEvent::ClaimReleased,
        PickupEvent::DoorLeftOpen,
        PickupEvent::DocumentLeftInside,
        PickupEvent::Interrupted,
        PickupEvent::HandedOver,
        PickupEvent::Unlocked,
        PickupEvent::PinReissued,
        PickupEvent::Expire,
        PickupEvent::Cancel,
        PickupEvent::WithdrawalStarted,
        PickupEvent::WithdrawalFailed { lock: LockFailure::Refused },
        PickupEvent::Withdrawn,
        PickupEvent::SmsNotDeliverable,
        PickupEvent::PhoneChanged,
    ]
}

/// States the store can actually hold.
fn reachable(s: &PickupState) -> bool {
    use PickupStatus::*;
    let claimed = s.claimed_by.is_some();
    match s.status {
        AwaitingDeposit | Depositing => s.in_box == (s.status == Depositing) && !s.locked && !claimed && !s.withdrawing,
        Ready => s.in_box && !s.withdrawing && !(s.locked && claimed),
        Collected => !s.in_box && !s.locked && !s.withdrawing,
        Expired => s.in_box && !claimed,
        Cancelled => !claimed && (s.in_box || !s.withdrawing),
        Withdrawn => !s.in_box && !claimed && !s.withdrawing,
    }
}

fn all_states() -> Vec<PickupState> {
    let mut out = Vec::new();
    for status in PickupStatus::ALL {
        for bits in 0..32u8 {
            let b = |i: u8| bits & (1 << i) != 0;
            let s = state(status, b(0), b(1), b(2), b(3), b(4));
            if reachable(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// One legal move: `None` in a flag column means "either".
struct Row {
    from: PickupStatus,
    locked: Option<bool>,
    claimed: Option<bool>,
    withdrawing: Option<bool>,
    due: Option<bool>,
    event: &'static str,
    to: PickupStatus,
}

const fn row(
    from: PickupStatus,
    locked: Option<bool>,
    claimed: Option<bool>,
    withdrawing: Option<bool>,
    due: Option<bool>,
    event: &'static str,
    to: PickupStatus,
) -> Row {
    Row { from, locked, claimed, withdrawing, due, event, to }
}

const LEGAL: &[Row] = {
    use PickupStatus::*;
    const T: Option<bool> = Some(true);
    const F: Option<bool> = Some(false);
    const X: Option<bool> = None;
    &[
        row(AwaitingDeposit, X, X, X, X, "deposit_started", Depositing),
        row(AwaitingDeposit, X, X, X, X, "cancelled", Cancelled),
        row(Depositing, X, X, X, X, "deposit_failed", AwaitingDeposit),
        row(Depositing, X, X, X, X, "deposit_abandoned", AwaitingDeposit),
        row(Depositing, X, X, X, X, "deposit_completed", Ready),
        row(Depositing, X, X, X, X, "interrupted", Depositing),
        row(Ready, F, F, X, X, "pin_accepted", Ready),
        row(Ready, F, F, X, X, "pin_refused", Ready),
        row(Ready, F, F, X, X, "third_factor_refused", Ready),
        row(Ready, F, F, X, F, "claimed", Ready),
        row(Ready, X, T, X, X, "claim_failed", Ready),
        row(Ready, X, T, X, X, "claim_released", Ready),
        row(Ready, X, T, X, X, "door_left_open", Ready),
        row(Ready, X, T, X, X, "document_left_inside", Ready),
        row(Ready, X, T, X, X, "interrupted", Ready),
        row(Ready, X, T, X, X, "handed_over", Collected),
        row(Ready, T, X, X, X, "unlocked", Ready),
        row(Ready, F, F, F, X, "pin_reissued", Ready),
        row(Ready, X, F, X, T, "expired", Expired),
        row(Ready, X, F, X, X, "cancelled", Cancelled),
        row(Expired, X, X, F, X, "cancelled", Cancelled),
        row(Expired, X, X, X, X, "withdrawal_started", Expired),
        row(Expired, X, X, T, X, "withdrawal_failed", Expired),
        row(Expired, X, X, T, X, "withdrawn", Withdrawn),
        row(Cancelled, X, X, X, X, "withdrawal_started", Cancelled),
        row(Cancelled, X, X, T, X, "withdrawal_failed", Cancelled),
        row(Cancelled, X, X, T, X, "withdrawn", Withdrawn),
        row(AwaitingDeposit, X, X, X, X, "sms_not_deliverable", AwaitingDeposit),
        row(Depositing, X, X, X, X, "sms_not_deliverable", Depositing),
        row(Ready, X, X, X, X, "sms_not_deliverable", Ready),
        row(Expired, X, X, X, X, "sms_not_deliverable", Expired),
        row(AwaitingDeposit, X, X, X, X, "phone_changed", AwaitingDeposit),
        row(Depositing, X, X, X, X, "phone_changed", Depositing),
        row(Ready, X, F, X, X, "phone_changed", Ready),
    ]
};

fn matches(r: &Row, s: &PickupState, event: &str) -> bool {
    let due = s.deadline.is_some_and(|d| d <= now());
    let fits = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
    // Withdrawal needs the document in the box; everything else in this table implies where it is.
    let in_box_ok = event != "withdrawal_started" || s.in_box;
    r.from == s.status
        && r.event == event
        && fits(r.locked, s.locked)
        && fits(r.claimed, s.claimed_by.is_some())
        && fits(r.withdrawing, s.withdrawing)
        && fits(r.due, due)
        && in_box_ok
}

#[test]
fn every_legal_move_is_allowed_and_every_other_refused() {
    let states = all_states();
    assert!(states.len() > 30, "{}", states.len());
    for st in states {
        for ev in all_events() {
            let expected = LEGAL.iter().find(|r| matches(r, &st, ev.name()));
            match (expected, transition(&st, &ev, &rules(), now())) {
                (Some(row), Ok(t)) => assert_eq!(t.state.status, row.to, "{st:?} + {}", ev.name()),
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("{st:?} + {} refused: {e}", ev.name()),
                (None, Ok(t)) => panic!("{st:?} + {} allowed into {:?}", ev.name(), t.state),
            }
        }
    }
}

#[test]
fn every_recorded_fact_is_named_by_the_vocabulary() {
    for st in all_states() {
        for ev in all_events() {
            if let Ok(t) = transition(&st, &ev, &rules(), now()) {
                for kind in &t.recorded {
                    assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
                }
                // A withdrawal asked for again is the same withdrawal, recorded once.
                let repeated = matches!(ev, PickupEvent::WithdrawalStarted) && st.withdrawing;
                if let Some(kind) = ev.kind() {
                    assert_eq!(kind.as_str(), ev.name(), "one name per event");
                    assert_eq!(t.recorded.first(), if repeated { None } else { Some(&kind) });
                }
            }
        }
    }
}

fn ready() -> PickupState {
    state(PickupStatus::Ready, true, false, false, false, false)
}

#[test]
fn deposit_completion_sets_the_deadline_and_issues_the_pin() {
    let t = transition(
        &state(PickupStatus::Depositing, true, false, false, false, false),
        &PickupEvent::DepositCompleted,
        &rules(),
        now(),
    )
    .unwrap();
    assert_eq!(t.state.deadline, Some(now() + Duration::days(10)));
    assert_eq!(t.effects, vec![Effect::OccupyCompartment, Effect::IssuePin]);
    assert_eq!(t.recorded, vec![EventKind::DepositCompleted]);
}

#[test]
fn a_failed_lock_at_loading_retires_the_compartment_instead_of_freeing_it() {
    let depositing = state(PickupStatus::Depositing, true, false, false, false, false);
    for lock in [LockFailure::Refused, LockFailure::NoAnswer] {
        let t = transition(&depositing, &PickupEvent::DepositFailed { lock }, &rules(), now()).unwrap();
        assert_eq!((t.state.status, t.state.in_box), (PickupStatus::AwaitingDeposit, false));
        assert_eq!(t.effects, vec![Effect::RetireCompartment { lock }]);
    }
}

#[test]
fn wrong_pins_count_and_lock_at_the_limit_silently_for_the_feed() {
    let mut st = ready();
    for n in 1..=4 {
        let t = transition(&st, &PickupEvent::PinRefused, &rules(), now()).unwrap();
        assert_eq!((t.state.failed_pins, t.state.locked), (n, false));
        assert!(t.recorded.is_empty(), "a counted refusal is not a fact of the pickup's history");
        st = t.state;
    }
    let t = transition(&st, &PickupEvent::PinRefused, &rules(), now()).unwrap();
    assert!(t.state.locked);
    assert_eq!(t.state.attention, Some(Attention::LockedAfterWrongPins));
    assert_eq!(t.recorded, vec![EventKind::Locked]);
    assert!(transition(&t.state, &PickupEvent::PinRefused, &rules(), now()).is_err(), "counted once locked");
    let accepted = transition(&ready(), &PickupEvent::PinAccepted, &rules(), now()).unwrap();
    assert_eq!(accepted.state.failed_pins, 0);
}

#[test]
fn wrong_third_factors_lock_across_sessions_at_their_own_limit() {
    let rules = PickupRules { third_factor_lockout_after: 3, ..rules() };
    let mut st = ready();
    st.failed_pins = 2;
    for _ in 0..3 {
        st = transition(&st, &PickupEvent::ThirdFactorRefused, &rules, now()).unwrap().state;
    }
    assert_eq!((st.locked, st.failed_third_factors, st.failed_pins), (true, 3, 2));
    assert_eq!(st.attention, Some(Attention::LockedAfterWrongThirdFactors));
    let locked = st.clone();
    let claim = PickupEvent::Claimed { session: session() };
    assert_eq!(transition(&locked, &claim, &rules, now()), Err(TransitionError::Locked));
    let t = transition(&locked, &PickupEvent::Unlocked, &rules, now()).unwrap();
    assert_eq!((t.state.locked, t.state.failed_third_factors, t.state.failed_pins), (false, 0, 0));
    assert_eq!(t.state.attention, None, "the lock's own flag goes with it");
    assert_eq!(t.effects, vec![Effect::ReissuePin], "lifting a lock sends a new PIN");
    assert_eq!(
        transition(&locked, &PickupEvent::PinReissued, &rules, now()).map(|_| ()),
        Err(TransitionError::Locked),
        "a locked pickup gets a new PIN only with the lock lifted, after the citizen was seen"
    );
}

#[test]
fn a_lost_sms_gets_a_new_pin_while_the_document_waits() {
    let rules = rules();
    let mut ready = state(PickupStatus::Ready, true, false, false, false, false);
    ready.attention = Some(Attention::SmsNotDeliverable);
    let t = transition(&ready, &PickupEvent::PinReissued, &rules, now()).unwrap();
    assert_eq!(t.effects, vec![Effect::ReissuePin]);
    assert_eq!(t.state.attention, None, "the undeliverable flag goes: a new SMS is on its way");
    let claimed = state(PickupStatus::Ready, true, false, true, false, false);
    assert!(transition(&claimed, &PickupEvent::PinReissued, &rules, now()).is_err(), "not during a hand-over");
    let waiting = state(PickupStatus::AwaitingDeposit, false, false, false, false, false);
    assert!(transition(&waiting, &PickupEvent::PinReissued, &rules, now()).is_err(), "no PIN before the box");
}

#[test]
fn a_corrected_number_gets_a_new_pin_unless_the_pickup_is_locked() {
    let rules = rules();
    let mut ready = state(PickupStatus::Ready, true, false, false, false, false);
    ready.attention = Some(Attention::SmsNotDeliverable);
    let t = transition(&ready, &PickupEvent::PhoneChanged, &rules, now()).unwrap();
    assert_eq!(t.effects, vec![Effect::DropQueuedMessages, Effect::ReissuePin, Effect::QueueReminder]);
    assert_eq!(t.state.attention, None, "the undeliverable flag goes with the wrong number");
    assert_eq!(t.recorded, vec![EventKind::PhoneChanged]);
    let mut locked = state(PickupStatus::Ready, true, true, false, false, false);
    locked.attention = Some(Attention::LockedAfterWrongPins);
    let t = transition(&locked, &PickupEvent::PhoneChanged, &rules, now()).unwrap();
    assert_eq!(
        t.effects,
        vec![Effect::DropQueuedMessages, Effect::ForgetPin, Effect::QueueReminder],
        "the new PIN waits for the lock"
    );
    assert!(t.state.locked && t.state.attention == Some(Attention::LockedAfterWrongPins));
    let waiting = state(PickupStatus::AwaitingDeposit, false, false, false, false, false);
    assert_eq!(transition(&waiting, &PickupEvent::PhoneChanged, &rules, now()).unwrap().effects, vec![]);
    let claimed = state(PickupStatus::Ready, true, false, true, false, false);
    assert_eq!(transition(&claimed, &PickupEvent::PhoneChanged, &rules, now()), Err(TransitionError::HandOverUnderway));
}

#[test]
fn a_claim_is_exclusive_and_ends_with_the_deadline() {
    let claimed = state(PickupStatus::Ready, true, false, true, false, false);
    let second = PickupEvent::Claimed { session: SessionId::from_random([2; 16]) };
    assert_eq!(transition(&claimed, &second, &rules(), now()), Err(TransitionError::AlreadyClaimed));
    assert_eq!(
        transition(&claimed, &PickupEvent::Cancel, &rules(), now()),
        Err(TransitionError::HandOverUnderway),
        "a cancel at the open door says why it waits"
    );
    let late = state(PickupStatus::Ready, true, false, false, false, true);
    assert!(!late.collectable(now()), "past its deadline a PIN stops working at once");
    assert_eq!(transition(&late, &second, &rules(), now()), Err(TransitionError::PastDeadline));
    let t = transition(&late, &PickupEvent::Expire, &rules(), now()).unwrap();
    assert_eq!(t.effects, vec![Effect::ForgetPin]);
    assert!(transition(&ready(), &PickupEvent::Expire, &rules(), now()).is_err(), "not before the deadline");
}

#[test]
fn hand_over_records_proof_frees_the_compartment_and_forgets_the_person() {
    let mut claimed = state(PickupStatus::Ready, true, false, true, false, false);
    claimed.attention = Some(Attention::DoorLeftOpen);
    let t = transition(&claimed, &PickupEvent::HandedOver, &rules(), now()).unwrap();
    assert_eq!((t.state.status, t.state.in_box, t.state.attention), (PickupStatus::Collected, false, None));
    assert_eq!(
        t.effects,
        vec![Effect::RecordHandover { at: now() }, Effect::FreeCompartment, Effect::ErasePersonalData]
    );
}

#[test]
fn staff_are_told_once_with_the_first_reason() {
    let claimed = state(PickupStatus::Ready, true, false, true, false, false);
    let left = transition(&claimed, &PickupEvent::DoorLeftOpen, &rules(), now()).unwrap().state;
    assert_eq!(left.attention, Some(Attention::DoorLeftOpen));
    let again = transition(&left, &PickupEvent::Interrupted, &rules(), now()).unwrap().state;
    assert_eq!(again.attention, Some(Attention::DoorLeftOpen));
    let released = transition(&again, &PickupEvent::ClaimReleased, &rules(), now()).unwrap().state;
    assert_eq!((released.attention, released.claimed_by), (None, None));
}

#[test]
fn cancelling_forgets_the_person_and_drops_the_unsent_pin() {
    for st in [state(PickupStatus::AwaitingDeposit, false, false, false, false, false), ready()] {
        let t = transition(&st, &PickupEvent::Cancel, &rules(), now()).unwrap();
        assert_eq!(t.state.status, PickupStatus::Cancelled);
        assert_eq!(t.state.in_box, st.in_box, "a document in the box waits there for staff");
        assert_eq!(t.effects, vec![Effect::ErasePersonalData, Effect::DropUnsentMessages]);
    }
}

#[test]
fn only_an_expired_withdrawal_tells_the_citizen() {
    for (from, notify) in [(PickupStatus::Expired, true), (PickupStatus::Cancelled, false)] {
        let st = state(from, true, false, false, false, true);
        let started = transition(&st, &PickupEvent::WithdrawalStarted, &rules(), now()).unwrap();
        assert_eq!((started.state.withdrawing, started.effects.clone()), (true, vec![Effect::OpenCompartment]));
        assert_eq!(started.recorded, vec![EventKind::WithdrawalStarted]);
        let again = transition(&started.state, &PickupEvent::WithdrawalStarted, &rules(), now()).unwrap();
        assert_eq!(again.effects, vec![Effect::OpenCompartment], "opened again");
        assert!(again.recorded.is_empty(), "the same withdrawal, recorded once");
        let done = transition(&started.state, &PickupEvent::Withdrawn, &rules(), now()).unwrap();
        assert_eq!(done.state.status, PickupStatus::Withdrawn);
        assert_eq!(done.effects.contains(&Effect::NotifyWithdrawn), notify, "{from:?}");
        assert!(done.effects.contains(&Effect::ErasePersonalData));
        let notify_at = done.effects.iter().position(|e| *e == Effect::NotifyWithdrawn);
        let erase_at = done.effects.iter().position(|e| *e == Effect::ErasePersonalData);
        assert!(notify_at.is_none_or(|n| Some(n) < erase_at), "the SMS is queued before the number is erased");
    }
    assert!(transition(&ready(), &PickupEvent::WithdrawalStarted, &rules(), now()).is_err(), "ready is not withdrawn");
}

#[test]
fn collected_is_final() {
    let done = state(PickupStatus::Collected, false, false, true, false, false);
    for ev in all_events() {
        assert!(transition(&done, &ev, &rules(), now()).is_err(), "{}", ev.name());
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

#[test]
fn a_closing_door_means_what_its_opening_was_for() {
    let cases = [
        (state(PickupStatus::Depositing, true, false, false, false, false), Some(PickupEvent::DepositCompleted)),
        (state(PickupStatus::Ready, true, false, true, false, false), Some(PickupEvent::HandedOver)),
        (ready(), None),
        (state(PickupStatus::Expired, true, false, false, true, true), Some(PickupEvent::Withdrawn)),
        (state(PickupStatus::Cancelled, true, false, false, true, true), Some(PickupEvent::Withdrawn)),
        (state(PickupStatus::Expired, true, false, false, false, true), None),
    ];
    for (st, want) in cases {
        assert_eq!(door_closed_event(&st), want, "{st:?}");
        assert_eq!(expects_door(&st), want.is_some(), "{st:?}");
        if let Some(ev) = want {
            assert!(transition(&st, &ev, &rules(), now()).is_ok(), "the meaning is a legal move: {st:?}");
        }
    }
}

#[test]
fn an_undeliverable_sms_flags_a_pickup_still_to_come() {
    let ready = state(PickupStatus::Ready, true, false, false, false, false);
    let t = transition(&ready, &PickupEvent::SmsNotDeliverable, &rules(), now()).unwrap();
    assert_eq!(t.state.attention, Some(Attention::SmsNotDeliverable));
    assert_eq!((t.state.status, t.effects.len()), (PickupStatus::Ready, 0));
    assert_eq!(t.recorded, vec![EventKind::SmsNotDeliverable]);
    let locked = PickupState { attention: Some(Attention::LockedAfterWrongPins), ..ready };
    let t = transition(&locked, &PickupEvent::SmsNotDeliverable, &rules(), now()).unwrap();
    assert_eq!(t.state.attention, Some(Attention::LockedAfterWrongPins), "an earlier reason stays first");
    let collected = state(PickupStatus::Collected, false, false, false, false, false);
    assert!(transition(&collected, &PickupEvent::SmsNotDeliverable, &rules(), now()).is_err(), "final stays final");
}
