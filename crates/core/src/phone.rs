//! Mobile phone numbers, the first factor and the SMS address.
//!
//! Citizens type numbers the way they know them (`0151 2345 6701`, `+49 151 …`, `0049 …`); the
//! registry may send any of these too. Both must land on the same E.164 form so that the keyed
//! lookup hash matches. Parsing uses libphonenumber's metadata (the `phonenumber` crate) rather than
//! hand-written rules, with Germany as the region for numbers without a country code.

use std::fmt;

use phonenumber::{Mode, country, metadata::DATABASE};

/// Why a phone number was refused; the reasons are safe to show because they only describe the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("this is not a phone number")]
    Unparsable,
    #[error("this phone number does not exist in its numbering plan")]
    Invalid,
    #[error("this is not a mobile number, so it cannot receive an SMS")]
    NotMobile,
}

/// A valid phone number in E.164 form. Personal data: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses any common way of writing a number; accepts fixed lines too, because at the kiosk the
    /// number only has to match what was registered.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        Self::parse_valid(input).map(|(parsed, _)| parsed)
    }

    /// Parses a number that must receive SMS: opt-ins with a landline would never get their PIN.
    pub fn parse_mobile(input: &str) -> Result<Self, PhoneError> {
        let (parsed, number) = Self::parse_valid(input)?;
        match number.number_type(&DATABASE) {
            phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile => Ok(parsed),
            _ => Err(PhoneError::NotMobile),
        }
    }

    /// The number and libphonenumber's reading of it, which its type is told from without parsing
    /// again (parsing is a series of regular expressions).
    fn parse_valid(input: &str) -> Result<(Self, phonenumber::PhoneNumber), PhoneError> {
        if input.len() > 40 {
            return Err(PhoneError::Unparsable);
        }
        let number = phonenumber::parse(Some(country::Id::DE), input.trim()).map_err(|_| PhoneError::Unparsable)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok((Self(number.format().mode(Mode::E164).to_string()), number))
    }

    /// The E.164 form, e.g. `+4915123456701`; for the SMS gateway and the lookup hash only.
    pub fn e164(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn german_spellings_of_one_number_are_one_number() {
        for s in ["0151 23456701", "+49 151 23456701", "015123456701", "0049 151 2345 6701", " +49 (0)151-234 567 01 "]
        {
            assert_eq!(PhoneNumber::parse(s).map(|p| p.e164().to_owned()), Ok("+4915123456701".into()), "{s}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(PhoneNumber::parse_mobile("+44 7911 123456").unwrap().e164(), "+447911123456");
    }

    #[test]
    fn refuses_what_cannot_be_a_number() {
        assert_eq!(PhoneNumber::parse("abc"), Err(PhoneError::Unparsable));
        assert_eq!(PhoneNumber::parse("12"), Err(PhoneError::Invalid));
        assert_eq!(PhoneNumber::parse(&"1".repeat(200)), Err(PhoneError::Unparsable));
    }

    #[test]
    fn opt_in_needs_a_mobile() {
        assert_eq!(PhoneNumber::parse_mobile("0211 8991"), Err(PhoneError::NotMobile));
        assert!(PhoneNumber::parse("0211 8991").is_ok());
    }

    #[test]
    fn debug_hides_the_number() {
        let p = PhoneNumber::parse("0151 23456701").unwrap();
        assert!(!format!("{p:?}").contains("456"));
    }
}
