//! Everything read from a zone, faults included. The CLI and the clerk's screen need to show what
//! was read even when a check failed, to tell a worn card from a forged one; the rest of the domain
//! only ever gets an [`Mrz`], which this turns into once nothing failed.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Mrz, MrzFault, MrzField, MrzFormat};

/// As printed in the zone; `<` and `X` both mean the holder did not state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
    #[serde(rename = "X")]
    Unspecified,
}

impl Sex {
    pub(super) fn from_mrz(c: char) -> Option<Self> {
        match c {
            'M' => Some(Self::Male),
            'F' => Some(Self::Female),
            'X' | '<' => Some(Self::Unspecified),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
            Self::Unspecified => "X",
        }
    }
}

/// Fields are only set by parsing, so that [`MrzReading::validate`] cannot bless made-up data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MrzReading {
    pub(super) format: MrzFormat,
    pub(super) document_code: String,
    pub(super) issuing_state: String,
    pub(super) document_number: String,
    pub(super) birth_date: Option<NaiveDate>,
    pub(super) expiry_date: Option<NaiveDate>,
    pub(super) sex: Option<Sex>,
    pub(super) nationality: String,
    pub(super) surname: String,
    pub(super) given_names: Vec<String>,
    pub(super) optional_data: String,
    pub(super) errors: Vec<MrzFault>,
}

impl MrzReading {
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

    /// `None` when the zone holds no possible date.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// `None` when the zone holds no possible date.
    pub fn expiry_date(&self) -> Option<NaiveDate> {
        self.expiry_date
    }

    /// `None` when the zone holds a character that is no sex code.
    pub fn sex(&self) -> Option<Sex> {
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

    /// Issuer-defined data; TD1's two fields are joined by a space, a long document number's
    /// continuation is not part of it.
    pub fn optional_data(&self) -> &str {
        &self.optional_data
    }

    pub fn errors(&self) -> &[MrzFault] {
        &self.errors
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.birth_date.is_some() && self.expiry_date.is_some() && self.sex.is_some()
    }

    /// The one way to an [`Mrz`]: all checks passed, or the faults that did not.
    pub fn validate(self) -> Result<Mrz, Vec<MrzFault>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let (Some(birth_date), Some(expiry_date), Some(sex)) = (self.birth_date, self.expiry_date, self.sex) else {
            // Parsing records a fault for every missing value; this keeps the promise locally.
            let mut missing = Vec::new();
            if self.birth_date.is_none() {
                missing.push(MrzFault::invalid_date(MrzField::BirthDate));
            }
            if self.expiry_date.is_none() {
                missing.push(MrzFault::invalid_date(MrzField::ExpiryDate));
            }
            if self.sex.is_none() {
                missing.push(MrzFault::invalid_value(MrzField::Sex));
            }
            return Err(missing);
        };
        Ok(Mrz {
            format: self.format,
            document_code: self.document_code,
            issuing_state: self.issuing_state,
            document_number: self.document_number,
            birth_date,
            expiry_date,
            sex,
            nationality: self.nationality,
            surname: self.surname,
            given_names: self.given_names,
            optional_data: self.optional_data,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn reading() -> MrzReading {
        MrzReading {
            format: MrzFormat::Td1,
            document_code: "ID".into(),
            issuing_state: "D".into(),
            document_number: "T22000129".into(),
            birth_date: NaiveDate::from_ymd_opt(1964, 8, 12),
            expiry_date: NaiveDate::from_ymd_opt(2020, 10, 31),
            sex: Some(Sex::Unspecified),
            nationality: "D".into(),
            surname: "MUSTERMANN".into(),
            given_names: vec!["ERIKA".into()],
            optional_data: String::new(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn sex_codes() {
        assert_eq!(Sex::from_mrz('M'), Some(Sex::Male));
        assert_eq!(Sex::from_mrz('F'), Some(Sex::Female));
        assert_eq!(Sex::from_mrz('X'), Some(Sex::Unspecified));
        assert_eq!(Sex::from_mrz('<'), Some(Sex::Unspecified));
        assert_eq!(Sex::from_mrz('W'), None);
        assert_eq!(Sex::from_mrz('0'), None);
    }

    #[test]
    fn a_missing_value_never_validates() {
        assert!(reading().is_valid());
        assert!(reading().validate().is_ok());
        let no_birth = MrzReading { birth_date: None, ..reading() };
        assert!(!no_birth.is_valid());
        let faults = no_birth.validate().unwrap_err();
        assert_eq!(faults, vec![MrzFault::invalid_date(MrzField::BirthDate)]);
        let no_sex = MrzReading { sex: None, ..reading() };
        assert_eq!(no_sex.validate().unwrap_err().len(), 1);
    }

    #[test]
    fn faults_are_returned_as_found() {
        let fault = MrzFault::check_digit(MrzField::Composite, '1', 4);
        let faulty = MrzReading { errors: vec![fault], ..reading() };
        assert!(!faulty.is_valid());
        assert_eq!(faulty.validate().unwrap_err(), vec![fault]);
    }

    #[test]
    fn serialises_for_the_cli() {
        let json = serde_json::to_value(reading()).unwrap();
        assert_eq!(json["format"], "TD1");
        assert_eq!(json["sex"], "X");
        assert_eq!(json["birth_date"], "1964-08-12");
        assert_eq!(json["given_names"], serde_json::json!(["ERIKA"]));
        assert_eq!(json["errors"], serde_json::json!([]));
        let male = MrzReading { sex: Some(Sex::Male), format: MrzFormat::Td3, ..reading() };
        let json = serde_json::to_value(male).unwrap();
        assert_eq!((json["sex"].as_str(), json["format"].as_str()), (Some("M"), Some("TD3")));
    }
}
