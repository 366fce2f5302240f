//! A zone that passed every check. The rest of the domain takes this type, so it cannot act on a
//! misread or tampered zone by accident.

use std::fmt;

use chrono::NaiveDate;

use super::{MrzFault, MrzFormat, NotAnMrz, Sex, read};

/// Why a text did not give an [`Mrz`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    #[error(transparent)]
    NotAnMrz(#[from] NotAnMrz),
    #[error("the machine-readable zone failed its checks: {}", list(.0))]
    Invalid(Vec<MrzFault>),
}

fn list(faults: &[MrzFault]) -> String {
    faults.iter().map(MrzFault::to_string).collect::<Vec<_>>().join("; ")
}

/// Personal data: `Debug` prints `Mrz([redacted])` because values of this type end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Mrz {
    pub(super) format: MrzFormat,
    pub(super) document_code: String,
    pub(super) issuing_state: String,
    pub(super) document_number: String,
    pub(super) birth_date: NaiveDate,
    pub(super) expiry_date: NaiveDate,
    pub(super) sex: Sex,
    pub(super) nationality: String,
    pub(super) surname: String,
    pub(super) given_names: Vec<String>,
    pub(super) optional_data: String,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mrz([redacted])")
    }
}

impl Mrz {
    /// [`read`] and [`super::MrzReading::validate`] in one step, for callers that only act on a
    /// valid zone. `today` decides the century of the birth date.
    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, MrzError> {
        read(text, today)?.validate().map_err(MrzError::Invalid)
    }

    pub fn format(&self) -> MrzFormat {
        self.format
    }

    pub fn document_code(&self) -> &str {
        &self.document_code
    }

    pub fn issuing_state(&self) -> &str {
        &self.issuing_state
    }

    /// The whole number, also when a long number continues in the optional data.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn expiry_date(&self) -> NaiveDate {
        self.expiry_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    pub fn nationality(&self) -> &str {
        &self.nationality
    }

    pub fn surname(&self) -> &str {
        &self.surname
    }

    pub fn given_names(&self) -> &[String] {
        &self.given_names
    }

    /// Issuer-defined data; TD1's two fields are joined by a space.
    pub fn optional_data(&self) -> &str {
        &self.optional_data
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::mrz::{FaultKind, MrzField};

    const ERIKA: &str = "IDD<<T220001293<<<<<<<<<<<<<<<\n\
                         6408125<2010315D<<<<<<<<<<<<<4\n\
                         MUSTERMANN<<ERIKA<<<<<<<<<<<<<";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn debug_is_redacted() {
        let mrz = Mrz::parse(ERIKA, today()).unwrap();
        assert_eq!(format!("{mrz:?}"), "Mrz([redacted])");
        assert_eq!(format!("{:?}", Ok::<_, ()>(mrz)), "Ok(Mrz([redacted]))");
    }

    #[test]
    fn parse_accessors() {
        let mrz = Mrz::parse(ERIKA, today()).unwrap();
        assert_eq!(mrz.format(), MrzFormat::Td1);
        assert_eq!(mrz.document_code(), "ID");
        assert_eq!(mrz.document_number(), "T22000129");
        assert_eq!(mrz.birth_date(), NaiveDate::from_ymd_opt(1964, 8, 12).unwrap());
        assert_eq!(mrz.expiry_date(), NaiveDate::from_ymd_opt(2020, 10, 31).unwrap());
        assert_eq!(mrz.sex(), Sex::Unspecified);
        assert_eq!((mrz.issuing_state(), mrz.nationality()), ("D", "D"));
        assert_eq!((mrz.surname(), mrz.given_names()), ("MUSTERMANN", &["ERIKA".to_string()][..]));
        assert_eq!(mrz.optional_data(), "");
    }

    #[test]
    fn parse_errors() {
        let not = Mrz::parse("hello\nworld", today()).unwrap_err();
        assert!(matches!(not, MrzError::NotAnMrz(_)));
        assert!(not.to_string().starts_with("not a machine-readable zone: "), "{not}");

        let bad = ERIKA.replace("T220001293", "T220001294");
        let MrzError::Invalid(faults) = Mrz::parse(&bad, today()).unwrap_err() else {
            panic!("expected check-digit faults");
        };
        let fields: Vec<_> = faults.iter().map(|f| (f.field(), f.problem())).collect();
        assert_eq!(
            fields,
            [(MrzField::DocumentNumber, FaultKind::CheckDigit), (MrzField::Composite, FaultKind::CheckDigit)]
        );
        let message = MrzError::Invalid(faults).to_string();
        assert_eq!(
            message,
            "the machine-readable zone failed its checks: \
             document_number: check digit 4 does not match 3; \
             composite: check digit 4 does not match 1"
        );
    }
}
