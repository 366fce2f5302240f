//! The personal data a pickup needs, held in one place.
//!
//! Phone number, birth date and old document number are what a stranger must not learn and what the
//! service must erase once the document is handed over. Keeping them behind one type (and, in
//! storage, one table) means encrypting or erasing them touches one module.

use std::fmt;

use chrono::NaiveDate;

use crate::document::DocumentNumber;
use crate::phone::PhoneNumber;

/// Why a birth date was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BirthDateError {
    #[error("a birth date is written YYYY-MM-DD")]
    Format,
    #[error("a birth date cannot lie in the future or before 1900")]
    OutOfRange,
}

/// A date of birth, the third factor for citizens without an old document.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    /// Parses the ISO form; `today` bounds it because nobody collecting a document is born tomorrow.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, BirthDateError> {
        let s = input.trim();
        if s.len() != 10 {
            return Err(BirthDateError::Format);
        }
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| BirthDateError::Format)?;
        Self::from_date(date, today)
    }

    pub fn from_date(date: NaiveDate, today: NaiveDate) -> Result<Self, BirthDateError> {
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).ok_or(BirthDateError::OutOfRange)?;
        if date > today || date < earliest {
            return Err(BirthDateError::OutOfRange);
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// The ISO form, the canonical text that storage keeps and comparisons use.
    pub fn iso(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate([redacted])")
    }
}

/// Which secret, besides phone and PIN, proves that the person at the box is the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThirdFactor {
    /// The old document is inserted into the slot; its number must match the one on record.
    OldDocument,
    /// No old document exists (first document, lost or stolen): the birth date is typed instead.
    BirthDate,
}

impl ThirdFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OldDocument => "old_document",
            Self::BirthDate => "birth_date",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "old_document" => Some(Self::OldDocument),
            "birth_date" => Some(Self::BirthDate),
            _ => None,
        }
    }
}

/// Everything personal about a pickup. Only the third factor's own secret is kept: a pickup whose
/// old document is on record does not keep the birth date, which it would never need.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalData {
    pub phone: PhoneNumber,
    pub third: ThirdFactorSecret,
}

/// The value the third factor is checked against.
#[derive(Clone, PartialEq, Eq)]
pub enum ThirdFactorSecret {
    OldDocument(DocumentNumber),
    BirthDate(BirthDate),
}

impl ThirdFactorSecret {
    pub fn factor(&self) -> ThirdFactor {
        match self {
            Self::OldDocument(_) => ThirdFactor::OldDocument,
            Self::BirthDate(_) => ThirdFactor::BirthDate,
        }
    }
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalData([redacted])")
    }
}

impl fmt::Debug for ThirdFactorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThirdFactorSecret({}: [redacted])", self.factor().as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn birth_dates_are_iso_and_in_the_past() {
        assert_eq!(BirthDate::parse("1988-02-29", today()).unwrap().iso(), "1988-02-29");
        assert_eq!(BirthDate::parse("1987-02-29", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("29.02.1988", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("1988-2-29", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("2026-11-26", today()), Err(BirthDateError::OutOfRange));
        assert_eq!(BirthDate::parse("1899-12-31", today()), Err(BirthDateError::OutOfRange));
    }

    #[test]
    fn nothing_personal_in_debug_output() {
        let data = PersonalData {
            phone: PhoneNumber::parse("0151 23456701").unwrap(),
            third: ThirdFactorSecret::BirthDate(BirthDate::parse("1974-08-12", today()).unwrap()),
        };
        let shown = format!("{data:?} {:?}", data.third);
        assert!(!shown.contains("1974") && !shown.contains("456"), "{shown}");
    }
}
