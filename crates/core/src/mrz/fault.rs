//! What can be wrong with a zone that has the right shape. Faults name the field and the kind of
//! problem but never echo field values, so they can be logged without leaking personal data.

use std::fmt;

use serde::Serialize;

/// The fields a fault can be about; the names are the ones the CLI and its JSON output show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MrzField {
    IssuingState,
    DocumentNumber,
    BirthDate,
    Sex,
    ExpiryDate,
    Nationality,
    PersonalNumber,
    Composite,
}

impl MrzField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IssuingState => "issuing_state",
            Self::DocumentNumber => "document_number",
            Self::BirthDate => "birth_date",
            Self::Sex => "sex",
            Self::ExpiryDate => "expiry_date",
            Self::Nationality => "nationality",
            Self::PersonalNumber => "personal_number",
            Self::Composite => "composite",
        }
    }
}

impl fmt::Display for MrzField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kept coarse on purpose: callers decide on the kind, the message is for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    CheckDigit,
    InvalidDate,
    InvalidValue,
}

/// Both digits of a failed check, so a clerk can see whether the print or the reader is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckDigitMismatch {
    /// The character in the check-digit position; not necessarily a digit.
    pub printed: char,
    pub computed: u8,
}

/// One failed check of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MrzFault {
    field: MrzField,
    problem: FaultKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    mismatch: Option<CheckDigitMismatch>,
}

impl MrzFault {
    pub(super) fn check_digit(field: MrzField, printed: char, computed: u8) -> Self {
        let mismatch = Some(CheckDigitMismatch { printed, computed });
        Self { field, problem: FaultKind::CheckDigit, mismatch }
    }

    pub(super) fn invalid_date(field: MrzField) -> Self {
        Self { field, problem: FaultKind::InvalidDate, mismatch: None }
    }

    pub(super) fn invalid_value(field: MrzField) -> Self {
        Self { field, problem: FaultKind::InvalidValue, mismatch: None }
    }

    pub fn field(&self) -> MrzField {
        self.field
    }

    pub fn problem(&self) -> FaultKind {
        self.problem
    }

    /// Present exactly for check-digit faults.
    pub fn mismatch(&self) -> Option<CheckDigitMismatch> {
        self.mismatch
    }
}

/// The rule a value broke, phrased for the field it broke it in.
fn value_rule(field: MrzField) -> &'static str {
    match field {
        MrzField::Sex => "must be M, F, X or <",
        MrzField::IssuingState | MrzField::Nationality => "must be 1 to 3 letters",
        MrzField::DocumentNumber => "is empty",
        _ => "has an invalid value",
    }
}

impl fmt::Display for MrzFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field;
        match (self.problem, self.mismatch) {
            (_, Some(m)) => write!(f, "{field}: check digit {} does not match {}", m.printed, m.computed),
            (FaultKind::CheckDigit, None) => write!(f, "{field}: check digit does not match"),
            (FaultKind::InvalidDate, None) => write!(f, "{field}: not a valid date"),
            (FaultKind::InvalidValue, None) => write!(f, "{field}: {}", value_rule(field)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let cd = MrzFault::check_digit(MrzField::DocumentNumber, '4', 3);
        assert_eq!(cd.to_string(), "document_number: check digit 4 does not match 3");
        let date = MrzFault::invalid_date(MrzField::ExpiryDate);
        assert_eq!(date.to_string(), "expiry_date: not a valid date");
        let sex = MrzFault::invalid_value(MrzField::Sex);
        assert_eq!(sex.to_string(), "sex: must be M, F, X or <");
    }

    #[test]
    fn serialises_snake_case() {
        let cd = MrzFault::check_digit(MrzField::Composite, '<', 7);
        let json = serde_json::to_value(cd).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "field": "composite",
                "problem": "check_digit",
                "mismatch": { "printed": "<", "computed": 7 }
            })
        );
        let date = serde_json::to_value(MrzFault::invalid_date(MrzField::BirthDate)).unwrap();
        assert_eq!(date, serde_json::json!({ "field": "birth_date", "problem": "invalid_date" }));
        let value = serde_json::to_value(MrzFault::invalid_value(MrzField::PersonalNumber)).unwrap();
        assert_eq!(value["field"], "personal_number");
        assert_eq!(value["problem"], "invalid_value");
    }
}
