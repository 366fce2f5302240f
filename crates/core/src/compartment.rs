//! Compartments of a box and the rule that picks one for a document.

use serde::{Deserialize, Serialize};

use crate::ids::CompartmentNo;

/// Inner size of a compartment. ID cards and passports fit the smallest; larger ones exist in
/// modular boxes for other goods and are used only when no small one is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeClass {
    S,
    M,
    L,
}

impl SizeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S => "s",
            Self::M => "m",
            Self::L => "l",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "s" => Some(Self::S),
            "m" => Some(Self::M),
            "l" => Some(Self::L),
            _ => None,
        }
    }
}

/// What a compartment holds or can do right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompartmentState {
    /// Empty and usable.
    Free,
    /// Promised to a document being loaded; its door may be open.
    Reserved,
    /// Holds a document.
    Occupied,
    /// Out of service until staff repair it; never chosen.
    Defective,
}

impl CompartmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Reserved => "reserved",
            Self::Occupied => "occupied",
            Self::Defective => "defective",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free" => Some(Self::Free),
            "reserved" => Some(Self::Reserved),
            "occupied" => Some(Self::Occupied),
            "defective" => Some(Self::Defective),
            _ => None,
        }
    }
}

/// Why a compartment is out of use. Both keep it from ever being chosen until staff have looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// The lock answered that it did not open: broken, and certainly shut.
    LockRefused,
    /// The lock did not answer: it may have opened, so the compartment may hold a document.
    LockNoAnswer,
    /// Its door opened without a command: forced, or a lock that let go. Blocked until someone has
    /// looked inside.
    DoorForced,
}

impl Defect {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LockRefused => "lock_refused",
            Self::LockNoAnswer => "lock_no_answer",
            Self::DoorForced => "door_forced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lock_refused" => Some(Self::LockRefused),
            "lock_no_answer" => Some(Self::LockNoAnswer),
            "door_forced" => Some(Self::DoorForced),
            _ => None,
        }
    }
}

impl From<crate::pickup::LockFailure> for Defect {
    fn from(f: crate::pickup::LockFailure) -> Self {
        match f {
            crate::pickup::LockFailure::Refused => Self::LockRefused,
            crate::pickup::LockFailure::NoAnswer => Self::LockNoAnswer,
        }
    }
}

/// A free compartment as the allocation rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub number: CompartmentNo,
    pub size: SizeClass,
    pub within_reach: bool,
}

/// Why no compartment could be chosen; both are a clear answer to staff, not a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("the box has no free compartment")]
    BoxFull,
    #[error("the box has no free compartment within reach from a wheelchair")]
    NoneWithinReach,
}

/// Picks the compartment for a document that needs at least `size`.
///
/// A wheelchair user's document must go within reach. Everyone else's goes *out* of reach where
/// possible, so that the few reachable compartments stay free for those who need them. Among equals,
/// the smallest fitting size, then the lowest number (staff find low numbers first on the map).
pub fn choose(candidates: &[Candidate], size: SizeClass, needs_reach: bool) -> Result<CompartmentNo, AllocationError> {
    let fitting = candidates.iter().filter(|c| c.size >= size);
    let chosen = if needs_reach {
        fitting.filter(|c| c.within_reach).min_by_key(|c| (c.size, c.number))
    } else {
        fitting.min_by_key(|c| (c.within_reach, c.size, c.number))
    };
    match chosen {
        Some(c) => Ok(c.number),
        None if needs_reach && candidates.iter().any(|c| c.size >= size) => Err(AllocationError::NoneWithinReach),
        None => Err(AllocationError::BoxFull),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn c(n: u32, size: SizeClass, within_reach: bool) -> Candidate {
        Candidate { number: CompartmentNo::new(n).unwrap(), size, within_reach }
    }

    #[test]
    fn wheelchair_users_get_a_reachable_compartment() {
        let all = [c(1, SizeClass::S, false), c(7, SizeClass::M, true), c(9, SizeClass::S, true)];
        assert_eq!(choose(&all, SizeClass::S, true).unwrap().get(), 9);
    }

    #[test]
    fn others_keep_reachable_compartments_free() {
        let all = [c(3, SizeClass::S, true), c(8, SizeClass::M, false), c(12, SizeClass::S, false)];
        assert_eq!(choose(&all, SizeClass::S, false).unwrap().get(), 12);
        let only_reachable = [c(3, SizeClass::S, true)];
        assert_eq!(choose(&only_reachable, SizeClass::S, false).unwrap().get(), 3);
    }

    #[test]
    fn larger_sizes_are_the_fallback() {
        let all = [c(2, SizeClass::L, false), c(5, SizeClass::M, false)];
        assert_eq!(choose(&all, SizeClass::S, false).unwrap().get(), 5);
        assert_eq!(choose(&all, SizeClass::L, false).unwrap().get(), 2);
    }

    proptest::proptest! {
        /// The store hands a loading only the lowest few free compartments of each size and reach;
        /// the choice among those must be the choice among all.
        #[test]
        fn the_lowest_few_of_each_kind_choose_as_all_do(
            kinds in proptest::collection::vec((0u8..3, proptest::bool::ANY), 0..80),
            few in 1usize..4,
            needs in 0u8..3,
            reach in proptest::bool::ANY,
        ) {
            let size = |k: u8| match k { 0 => SizeClass::S, 1 => SizeClass::M, _ => SizeClass::L };
            let all: Vec<Candidate> =
                kinds.iter().enumerate().map(|(i, (k, r))| c(i as u32 * 3 + 1, size(*k), *r)).collect();
            let lowest: Vec<Candidate> = all
                .iter()
                .filter(|x| all.iter().filter(|y| (y.size, y.within_reach) == (x.size, x.within_reach) && y.number < x.number).count() < few)
                .copied()
                .collect();
            proptest::prop_assert_eq!(choose(&lowest, size(needs), reach), choose(&all, size(needs), reach));
        }
    }

    #[test]
    fn a_full_box_says_so() {
        assert_eq!(choose(&[], SizeClass::S, false), Err(AllocationError::BoxFull));
        assert_eq!(choose(&[c(1, SizeClass::S, false)], SizeClass::S, true), Err(AllocationError::NoneWithinReach));
        assert_eq!(choose(&[c(1, SizeClass::S, true)], SizeClass::M, true), Err(AllocationError::BoxFull));
    }
}
