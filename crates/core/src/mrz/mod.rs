//! Reading the machine-readable zone (ICAO 9303) of ID cards and passports.
//!
//! The box lets someone collect a document only against an identity document held to its reader,
//! so this is where a wrong pickup would start. Hence two levels: [`read`] returns everything the
//! zone says together with every failed check, for the clerk and the CLI; [`Mrz`] exists only for
//! a zone that passed all checks, and is what the rest of the domain accepts. Nothing is ever
//! repaired (no OCR guesses such as `O` for `0`): a zone that fails is read again, not fixed.
//!
//! Written here rather than taken from a crate because the rules that matter (long document
//! numbers, the century of a birth date, no repair) are few and must be exactly ours.

mod check_digit;
mod date;
mod decode;
mod fault;
mod layout;
mod name;
mod number;
mod positions;
mod reading;
mod valid;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testkit;

use chrono::NaiveDate;

pub use check_digit::check_digit;
pub use fault::{CheckDigitMismatch, FaultKind, MrzFault, MrzField};
pub use layout::{MrzFormat, NotAnMrz};
pub use reading::{MrzReading, Sex};
pub use valid::{Mrz, MrzError};

/// Reads whatever a document reader or a user sent. `Err` only when the text is not shaped like a
/// zone at all; a zone with failed checks is an `Ok` reading whose faults say what failed. `today`
/// decides the century of the birth date.
pub fn read(text: &str, today: NaiveDate) -> Result<MrzReading, NotAnMrz> {
    layout::detect(text).map(|zone| decode::decode(&zone, today))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn valid(lines: &[&str]) -> MrzReading {
        let reading = read(&lines.join("\n"), today()).unwrap();
        assert_eq!(reading.errors(), &[], "{lines:?}");
        assert!(reading.is_valid());
        reading
    }

    #[test]
    fn german_id_card_specimen() {
        let r = valid(&[
            "IDD<<T220001293<<<<<<<<<<<<<<<",
            "6408125<2010315D<<<<<<<<<<<<<4",
            "MUSTERMANN<<ERIKA<<<<<<<<<<<<<",
        ]);
        assert_eq!(r.format(), MrzFormat::Td1);
        assert_eq!(r.document_code(), "ID");
        assert_eq!(r.issuing_state(), "D");
        assert_eq!(r.document_number(), "T22000129");
        assert_eq!(r.birth_date(), date(1964, 8, 12));
        assert_eq!(r.expiry_date(), date(2020, 10, 31));
        assert_eq!(r.sex(), Some(Sex::Unspecified));
        assert_eq!(r.nationality(), "D");
        assert_eq!(r.surname(), "MUSTERMANN");
        assert_eq!(r.given_names(), ["ERIKA"]);
        assert_eq!(r.optional_data(), "");
    }

    #[test]
    fn icao_td3_specimen() {
        let r =
            valid(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
        assert_eq!(r.format(), MrzFormat::Td3);
        assert_eq!((r.document_code(), r.issuing_state()), ("P", "UTO"));
        assert_eq!(r.document_number(), "L898902C3");
        assert_eq!(r.birth_date(), date(1974, 8, 12));
        assert_eq!(r.expiry_date(), date(2012, 4, 15));
        assert_eq!(r.sex(), Some(Sex::Female));
        assert_eq!(r.nationality(), "UTO");
        assert_eq!(r.surname(), "ERIKSSON");
        assert_eq!(r.given_names(), ["ANNA", "MARIA"]);
        assert_eq!(r.optional_data(), "ZE184226B");
    }

    #[test]
    fn icao_td2_specimen() {
        let r = valid(&["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]);
        assert_eq!(r.format(), MrzFormat::Td2);
        assert_eq!((r.document_code(), r.document_number()), ("I", "D23145890"));
        assert_eq!((r.birth_date(), r.expiry_date()), (date(1974, 8, 12), date(2012, 4, 15)));
        assert_eq!((r.surname(), r.given_names()), ("ERIKSSON", &["ANNA", "MARIA"].map(String::from)[..]));
    }

    #[test]
    fn icao_td1_specimen() {
        let r = valid(&[
            "I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ]);
        assert_eq!((r.document_code(), r.issuing_state()), ("I", "UTO"));
        assert_eq!(r.document_number(), "D23145890");
        assert_eq!((r.sex(), r.nationality()), (Some(Sex::Female), "UTO"));
        assert_eq!(r.given_names(), ["ANNA", "MARIA"]);
    }

    #[test]
    fn german_passport() {
        // Check digits computed by hand: C01X00T47 -> 8, 640812 -> 5, 270228 -> 3, composite 4.
        let r =
            valid(&["P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"]);
        assert_eq!((r.document_code(), r.issuing_state(), r.nationality()), ("P", "D", "D"));
        assert_eq!(r.document_number(), "C01X00T47");
        assert_eq!((r.birth_date(), r.expiry_date()), (date(1964, 8, 12), date(2027, 2, 28)));
        assert_eq!(r.sex(), Some(Sex::Female));
        assert_eq!((r.surname(), r.given_names()), ("MUSTERMANN", &["ERIKA".to_string()][..]));
    }

    #[test]
    fn line_ends_and_padding() {
        let lines =
            ["IDD<<T220001293<<<<<<<<<<<<<<<", "6408125<2010315D<<<<<<<<<<<<<4", "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"];
        let expected = read(&lines.join("\n"), today()).unwrap();
        for text in [
            lines.join("\r\n"),
            lines.join("\r"),
            format!("\r\n\r\n  {}\t\r\n\t {} \r\n\n{}  \r\n\r\n", lines[0], lines[1], lines[2]),
        ] {
            assert_eq!(read(&text, today()).unwrap(), expected);
        }
    }

    #[test]
    fn not_an_mrz() {
        let lines =
            ["IDD<<T220001293<<<<<<<<<<<<<<<", "6408125<2010315D<<<<<<<<<<<<<4", "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"];
        for text in [
            lines[..2].join("\n"),
            [lines[0], lines[1], lines[2], lines[2]].join("\n"),
            [lines[0], &lines[1][1..], lines[2]].join("\n"),
            lines.join("\n").to_lowercase(),
            String::new(),
        ] {
            assert!(read(&text, today()).is_err(), "{text}");
            assert!(matches!(Mrz::parse(&text, today()), Err(MrzError::NotAnMrz(_))));
        }
    }
}
