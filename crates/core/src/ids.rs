//! Identifiers of the things a pickup involves.
//!
//! Sites and boxes carry short slugs chosen by operators (`dus-dlz`, `dlz-1`) because they appear in
//! URLs, configs and on staff screens; pickups and kiosk sessions carry random ids because they must
//! not be guessable. A compartment is numbered within its box, the way the hardware is addressed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an id must be 1 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit")]
pub struct InvalidId;

fn parse_slug(s: &str) -> Result<String, InvalidId> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok { Ok(s.to_owned()) } else { Err(InvalidId) }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                parse_slug(s).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A citizens' office; a city has several.
    SiteId
);
slug_id!(
    /// One pickup box; a site may have several.
    BoxId
);
slug_id!(
    /// One touch panel of a box, with the document slot beside it. Kiosk tokens are bound to a panel,
    /// so that what a slot reads reaches only the session of the person standing at that panel.
    PanelId
);

/// Why a random id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidRandomId;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Builds the id from 16 random bytes supplied by the caller's CSPRNG.
            pub fn from_random(bytes: [u8; 16]) -> Self {
                let mut s = String::with_capacity($prefix.len() + 32);
                s.push_str($prefix);
                for b in bytes {
                    s.push_str(&format!("{b:02x}"));
                }
                Self(s)
            }
            pub fn parse(s: &str) -> Result<Self, InvalidRandomId> {
                let hex = s.strip_prefix($prefix).ok_or(InvalidRandomId)?;
                if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidRandomId)
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidRandomId;
            fn try_from(s: String) -> Result<Self, InvalidRandomId> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id!(
    /// A pickup: one document for one citizen. Random so that ids do not leak volumes or order.
    PickupId,
    "pu_"
);
random_id!(
    /// One citizen's interaction at a kiosk panel. Random because it is a bearer of progress.
    SessionId,
    "ks_"
);

/// A compartment's number within its box, as the box configuration maps it to a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CompartmentNo(u32);

impl CompartmentNo {
    pub fn new(n: u32) -> Option<Self> {
        (n >= 1).then_some(Self(n))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for CompartmentNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The number of a document slot (with its reader) in a box, as the hardware names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SlotNo(u32);

impl SlotNo {
    pub fn new(n: u32) -> Option<Self> {
        (n >= 1).then_some(Self(n))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for SlotNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_operator_names_and_refuse_the_rest() {
        assert!(SiteId::parse("dus-dlz").is_ok());
        assert!(BoxId::parse("box_1").is_ok());
        for bad in ["", "-x", "Box", "a b", "ä", &"x".repeat(65)] {
            assert_eq!(BoxId::parse(bad), Err(InvalidId), "{bad:?}");
        }
    }

    #[test]
    fn random_ids_round_trip_and_refuse_foreign_text() {
        let id = PickupId::from_random([0xab; 16]);
        assert_eq!(PickupId::parse(id.as_str()).unwrap(), id);
        assert!(PickupId::parse("ks_abababababababababababababababab").is_err());
        assert!(PickupId::parse("pu_ABABABABABABABABABABABABABABABAB").is_err());
        assert!(SessionId::parse("ks_123").is_err());
    }

    #[test]
    fn compartment_numbers_start_at_one() {
        assert!(CompartmentNo::new(0).is_none());
        assert_eq!(CompartmentNo::new(600).unwrap().get(), 600);
    }
}
