//! The ICAO 9303 check digit. It lets a reader notice a misread character without asking anyone, so
//! a zone that fails it is rejected, never "corrected": a guessed repair could turn one person's
//! document number into another's.

use super::fault::{MrzFault, MrzField};

/// ICAO 9303 part 3, 4.9: the weights repeat over the whole field.
const WEIGHTS: [u32; 3] = [7, 3, 1];

/// Letters count 10 to 35 so that they change the sum differently from digits; the filler counts
/// nothing, which makes a padded field and its unpadded content check alike.
fn char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        'A'..='Z' => Some(u32::from(c) - u32::from('A') + 10),
        '<' => Some(0),
        _ => None,
    }
}

/// The check digit the issuer printed after `s`. `None` when `s` has a character outside `A-Z`,
/// `0-9`, `<`: such text cannot come from a zone, and a digit for it would mean nothing.
pub fn check_digit(s: &str) -> Option<u8> {
    let sum = s
        .chars()
        .zip(WEIGHTS.iter().cycle())
        .try_fold(0_u32, |sum, (c, weight)| Some((sum + char_value(c)? * weight) % 10))?;
    u8::try_from(sum).ok()
}

/// Compares what the document says with what its data says; a mismatch is reported as it is.
pub(super) fn verify(field: MrzField, data: &str, printed: char) -> Option<MrzFault> {
    let Some(computed) = check_digit(data) else {
        return Some(MrzFault::invalid_value(field));
    };
    if printed.to_digit(10) == Some(u32::from(computed)) {
        None
    } else {
        Some(MrzFault::check_digit(field, printed, computed))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::mrz::FaultKind;

    #[test]
    fn icao_examples() {
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
        assert_eq!(check_digit("T22000129"), Some(3));
        assert_eq!(check_digit("D23145890734"), Some(9));
    }

    #[test]
    fn fillers_count_nothing() {
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("<<<<<<<<<<<<<<"), Some(0));
        assert_eq!(check_digit("AB1"), check_digit("AB1<<<"));
    }

    #[test]
    fn rejects_foreign_characters() {
        assert_eq!(check_digit("l898902C3"), None);
        assert_eq!(check_digit("L898 902"), None);
        assert_eq!(check_digit("É"), None);
    }

    #[test]
    fn verify_reports_printed_and_computed() {
        assert_eq!(verify(MrzField::BirthDate, "740812", '2'), None);
        let fault = verify(MrzField::BirthDate, "740812", '4').unwrap();
        assert_eq!(fault.problem(), FaultKind::CheckDigit);
        assert_eq!(fault.to_string(), "birth_date: check digit 4 does not match 2");
        assert!(verify(MrzField::BirthDate, "740812", '<').is_some());
        assert!(verify(MrzField::BirthDate, "740812", 'A').is_some());
    }
}
