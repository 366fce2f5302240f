//! How a compartment looks on the staff's box view: one state out of what the compartment, its
//! pickup and its door say, by what staff must see first (an open door before anything else).

use chrono::{DateTime, Duration, Utc};

use crate::compartment::CompartmentState;
use crate::pickup::{Attention, PickupStatus};

/// A pickup's part in its compartment's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickupFacts {
    pub status: PickupStatus,
    pub deadline: Option<DateTime<Utc>>,
    pub locked: bool,
    pub attention: Option<Attention>,
}

/// A compartment's look, from the most to the least urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Look {
    Open,
    Attention,
    Defective,
    Locked,
    ToWithdraw,
    Expiring,
    Loading,
    Ready,
    Free,
}

/// A document this close to its last day shows as expiring.
pub const EXPIRING_WITHIN: Duration = Duration::days(2);

impl Look {
    pub const ALL: [Look; 9] = [
        Self::Free,
        Self::Loading,
        Self::Ready,
        Self::Expiring,
        Self::Locked,
        Self::ToWithdraw,
        Self::Attention,
        Self::Defective,
        Self::Open,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Attention => "attention",
            Self::Defective => "defective",
            Self::Locked => "locked",
            Self::ToWithdraw => "withdraw",
            Self::Expiring => "expiring",
            Self::Loading => "loading",
            Self::Ready => "ready",
            Self::Free => "free",
        }
    }

    pub fn of(state: CompartmentState, pickup: Option<PickupFacts>, door_open: bool, now: DateTime<Utc>) -> Self {
        if door_open {
            return Self::Open;
        }
        if pickup.is_some_and(|p| p.attention.is_some_and(|a| !a.is_lock() && a.asks_in(p.status))) {
            return Self::Attention;
        }
        if state == CompartmentState::Defective {
            return Self::Defective;
        }
        let Some(p) = pickup else {
            return match state {
                CompartmentState::Reserved => Self::Loading,
                CompartmentState::Occupied => Self::Attention,
                CompartmentState::Free | CompartmentState::Defective => Self::Free,
            };
        };
        // A lock matters only while the document waits for its citizen; once it is to be taken out,
        // that is what the compartment asks for.
        match p.status {
            PickupStatus::Expired | PickupStatus::Cancelled => Self::ToWithdraw,
            _ if p.locked => Self::Locked,
            PickupStatus::Depositing | PickupStatus::AwaitingDeposit => Self::Loading,
            PickupStatus::Ready if p.deadline.is_some_and(|d| d - now <= EXPIRING_WITHIN) => Self::Expiring,
            PickupStatus::Ready => Self::Ready,
            PickupStatus::Collected | PickupStatus::Withdrawn => Self::Free,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-30T10:00:00Z".parse().unwrap()
    }

    fn ready(days_left: i64) -> PickupFacts {
        PickupFacts {
            status: PickupStatus::Ready,
            deadline: Some(now() + Duration::days(days_left)),
            locked: false,
            attention: None,
        }
    }

    #[test]
    fn each_look_comes_from_its_facts() {
        use CompartmentState::*;
        assert_eq!(Look::of(Free, None, false, now()), Look::Free);
        assert_eq!(Look::of(Reserved, None, false, now()), Look::Loading);
        assert_eq!(Look::of(Occupied, Some(ready(10)), false, now()), Look::Ready);
        assert_eq!(Look::of(Occupied, Some(ready(2)), false, now()), Look::Expiring);
        assert_eq!(Look::of(Occupied, Some(ready(3)), false, now()), Look::Ready);
        let locked = PickupFacts { locked: true, attention: Some(Attention::LockedAfterWrongPins), ..ready(10) };
        assert_eq!(Look::of(Occupied, Some(locked), false, now()), Look::Locked);
        let expired = PickupFacts { status: PickupStatus::Expired, ..ready(-1) };
        assert_eq!(Look::of(Occupied, Some(expired), false, now()), Look::ToWithdraw);
        let expired_locked = PickupFacts { status: PickupStatus::Expired, ..locked };
        assert_eq!(Look::of(Occupied, Some(expired_locked), false, now()), Look::ToWithdraw, "no lock to lift");
        let unreachable =
            PickupFacts { status: PickupStatus::Cancelled, attention: Some(Attention::SmsNotDeliverable), ..ready(-1) };
        assert_eq!(Look::of(Occupied, Some(unreachable), false, now()), Look::ToWithdraw, "no number to correct");
        let flagged = PickupFacts { attention: Some(Attention::DoorLeftOpen), ..ready(10) };
        assert_eq!(Look::of(Occupied, Some(flagged), false, now()), Look::Attention);
        assert_eq!(Look::of(Defective, None, false, now()), Look::Defective);
        assert_eq!(Look::of(Occupied, Some(ready(10)), true, now()), Look::Open, "an open door first");
        assert_eq!(Look::of(Occupied, None, false, now()), Look::Attention, "a document nobody owns");
    }
}
