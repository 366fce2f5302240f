//! The documents a box hands out and the old documents it takes back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What the citizen applied for. Every kind fits a small compartment, but the kind is kept because
/// the registry books the hand-over per kind and sites may set rules per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdCard,
    Passport,
    ChildPassport,
    ResidencePermit,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [Self::IdCard, Self::Passport, Self::ChildPassport, Self::ResidencePermit];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdCard => "id_card",
            Self::Passport => "passport",
            Self::ChildPassport => "child_passport",
            Self::ResidencePermit => "residence_permit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a document number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a document number consists of 4 to 22 letters A-Z and digits")]
pub struct DocumentNumberError;

/// A document number as printed and as in the MRZ (`T22000129`). Normalised to upper case without
/// spaces, because clerks and scanners write it in different ways. Personal data: `Debug` redacts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    pub fn parse(input: &str) -> Result<Self, DocumentNumberError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if (4..=22).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(Self(s))
        } else {
            Err(DocumentNumberError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentNumber([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kinds_use_the_public_names() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert_eq!(DocumentKind::parse("driving_licence"), None);
    }

    #[test]
    fn numbers_are_normalised() {
        assert_eq!(DocumentNumber::parse(" t22 000129 ").unwrap().as_str(), "T22000129");
        assert!(DocumentNumber::parse("T22-000129").is_err());
        assert!(DocumentNumber::parse("T2").is_err());
        assert!(DocumentNumber::parse("ÄÖÜ12345").is_err());
        assert!(!format!("{:?}", DocumentNumber::parse("T22000129").unwrap()).contains("T22"));
    }
}
